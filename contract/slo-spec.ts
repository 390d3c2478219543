/**
 * The service level objectives of the Triggers API (DESIGN §8): the one source the dashboards,
 * alarms, load-test thresholds and docs are generated from.
 */
import { API_ENDPOINTS, type ApiEndpoint } from './metrics';

/** A latency objective: the endpoint's p95 must stay under the target. */
export interface LatencyObjective {
  readonly endpoint: ApiEndpoint;
  readonly percentile: 'p95';
  readonly targetInMillis: number;
}

/** A success-rate objective: non-5xx responses over all responses, per endpoint. */
export interface SuccessRateObjective {
  readonly endpoint: ApiEndpoint;
  readonly minimumPercent: number;
}

/** The whole spec; endpoints are typed so an objective naming a route the API does not serve fails to compile. */
export interface SloSpec {
  readonly latency: readonly LatencyObjective[];
  readonly successRate: readonly SuccessRateObjective[];
  /** 5xx responses over all responses, across every endpoint. */
  readonly errorRate: { readonly maximumPercent: number };
  /** Events accepted per second by the ingestion endpoint. */
  readonly ingestion: { readonly endpoint: ApiEndpoint; readonly minimumEventsPerSecond: number };
  /** How the objectives are alarmed on; {@link DEFAULT_ALERTING} when left out. */
  readonly alerting?: AlertingPolicy;
}

/** Who hears about a burning budget: a page wakes someone, a ticket waits for working hours. */
export type AlertSeverity = 'page' | 'ticket';

/**
 * One multi-window burn-rate tier (Google SRE workbook, ch. 5): it fires when both windows burn the
 * error budget faster than `burnFactor` times the rate that would spend it exactly over the SLO period.
 */
export interface BurnRateTier {
  /** Kebab-case name used in alarm names, e.g. `fast-burn`. */
  readonly name: string;
  readonly severity: AlertSeverity;
  readonly burnFactor: number;
  readonly longWindowInMinutes: number;
  /** Guards against alarming on a burn that has already stopped. */
  readonly shortWindowInMinutes: number;
}

/** Threshold alarms on the objectives themselves: `datapointsToAlarm` of `evaluationPeriods` periods. */
export interface ObjectiveAlarmPolicy {
  readonly periodInMinutes: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  /**
   * Low-traffic guard: a period with fewer requests never breaches (p95 needs enough samples to mean
   * anything, and one 5xx among a handful of requests is not a missed objective).
   */
  readonly minimumRequestsPerPeriod: number;
}

/** Alarm settings shared by every objective. */
export interface AlertingPolicy {
  /** The period the error budget is spent over. */
  readonly sloPeriodInDays: number;
  /** Alarm descriptions link to `<runbookBaseUrl>#<anchor>`. */
  readonly runbookBaseUrl: string;
  /** Low-traffic floor: a burn-rate window with fewer requests never alarms, whatever the tier. */
  readonly minimumRequestsPerWindow: number;
  /**
   * A burn-rate window alarms only when its burn rests on at least this many bad requests: its guard is
   * `max(minimumRequestsPerWindow, minimumBadRequestsPerWindow / (burnFactor x error budget))` requests,
   * so the guard scales with the tier (see {@link burnRateMinimumRequests}).
   */
  readonly minimumBadRequestsPerWindow: number;
  readonly objectiveAlarms: ObjectiveAlarmPolicy;
  /** Fastest first: each tier is suppressed while a faster one fires. */
  readonly burnRateTiers: readonly BurnRateTier[];
}

/** Page at 2 % of a 30-day budget in 1 h (14.4x) or 5 % in 6 h (6x); ticket at 10 % in 3 d (1x). */
export const DEFAULT_ALERTING: AlertingPolicy = {
  sloPeriodInDays: 30,
  runbookBaseUrl: 'https://github.com/triggers-api/triggers-api/blob/main/docs/RUNBOOK.md',
  minimumRequestsPerWindow: 50,
  minimumBadRequestsPerWindow: 5,
  objectiveAlarms: { periodInMinutes: 5, evaluationPeriods: 3, datapointsToAlarm: 3, minimumRequestsPerPeriod: 100 },
  burnRateTiers: [
    { name: 'fast-burn', severity: 'page', burnFactor: 14.4, longWindowInMinutes: 60, shortWindowInMinutes: 5 },
    { name: 'medium-burn', severity: 'page', burnFactor: 6, longWindowInMinutes: 360, shortWindowInMinutes: 30 },
    // The workbook's ticket tier, as is: each window is one alarm period, and a period of an hour or more may
    // look back 7 days (Period x EvaluationPeriods), so 3 d fits. A 1x burn is the slowest that empties the budget.
    { name: 'slow-burn', severity: 'ticket', burnFactor: 1, longWindowInMinutes: 4320, shortWindowInMinutes: 360 },
  ],
};

const SUCCESS_RATE_MINIMUM_PERCENT = 99.9;

/** Defaults from the product requirements. */
export const SLO_SPEC: SloSpec = {
  latency: [
    { endpoint: 'POST /v1/events', percentile: 'p95', targetInMillis: 100 },
    { endpoint: 'GET /v1/inbox', percentile: 'p95', targetInMillis: 200 },
    { endpoint: 'GET /v1/events/{event_id}', percentile: 'p95', targetInMillis: 50 },
  ],
  // Every route the API serves is held to the same success rate.
  successRate: API_ENDPOINTS.map((endpoint) => ({ endpoint, minimumPercent: SUCCESS_RATE_MINIMUM_PERCENT })),
  errorRate: { maximumPercent: 0.1 },
  ingestion: { endpoint: 'POST /v1/events', minimumEventsPerSecond: 1000 },
  alerting: DEFAULT_ALERTING,
};

/** The alerting policy of a spec, with the default filled in. */
export function alertingPolicy(spec: SloSpec = SLO_SPEC): AlertingPolicy {
  return spec.alerting ?? DEFAULT_ALERTING;
}

/** The runbook link for one alarm topic, e.g. `runbookUrl(policy, 'latency')`. */
export function runbookUrl(policy: AlertingPolicy, anchor: string): string {
  return `${policy.runbookBaseUrl}#${anchor}`;
}

/** Share of requests allowed to miss a latency objective: a p95 target leaves 5 %. */
export function latencyErrorBudget(objective: LatencyObjective): number {
  return roundRatio(1 - PERCENTILE_FRACTION[objective.percentile]);
}

/** Share of requests allowed to fail a success-rate objective: 99.9 % leaves 0.1 %. */
export function successRateErrorBudget(objective: SuccessRateObjective): number {
  return roundRatio(1 - objective.minimumPercent / 100);
}

const PERCENTILE_FRACTION: Record<LatencyObjective['percentile'], number> = { p95: 0.95 };

/** The p95 latency target of an endpoint in milliseconds, or undefined when it has no latency objective. */
export function latencyTargetInMillis(endpoint: ApiEndpoint, spec: SloSpec = SLO_SPEC): number | undefined {
  return spec.latency.find((objective) => objective.endpoint === endpoint)?.targetInMillis;
}

/** The minimum success rate of an endpoint in percent, or undefined when it has no success-rate objective. */
export function successRateTargetPercent(endpoint: ApiEndpoint, spec: SloSpec = SLO_SPEC): number | undefined {
  return spec.successRate.find((objective) => objective.endpoint === endpoint)?.minimumPercent;
}

/** Every endpoint some objective names, once each, in the order they first appear. */
export function objectiveEndpoints(spec: SloSpec = SLO_SPEC): ApiEndpoint[] {
  const named = [
    ...spec.latency.map((objective) => objective.endpoint),
    ...spec.successRate.map((objective) => objective.endpoint),
    spec.ingestion.endpoint,
  ];
  return [...new Set(named)];
}

// 1 - 0.999 is 0.0009999999999998899 in floating point; alarm expressions should read 0.001.
function roundRatio(ratio: number): number {
  return Number(ratio.toPrecision(12));
}

/**
 * Requests a burn-rate window of `tier` needs before it may alarm on an objective with `errorBudget`: enough
 * that crossing the tier's factor takes `minimumBadRequestsPerWindow` bad requests, never below the floor.
 * 99.9 % success: 348 requests at 14.4x, 834 at 6x, 5000 at 1x; a p95 latency objective: 50, 50, 100.
 */
export function burnRateMinimumRequests(tier: BurnRateTier, errorBudget: number, policy: AlertingPolicy): number {
  const scaled = Math.ceil(roundRatio(policy.minimumBadRequestsPerWindow / (tier.burnFactor * errorBudget)));
  return Math.max(policy.minimumRequestsPerWindow, scaled);
}

/**
 * How long a tier stays suppressed after the faster tier that suppressed it recovers: its own short window
 * (after which that window holds only post-recovery traffic and stops burning) plus a margin for CloudWatch's
 * evaluation delay. A shorter extension lets a slower tier notify for an incident a faster one already reported.
 */
export function suppressionExtensionInMinutes(tier: BurnRateTier): number {
  return tier.shortWindowInMinutes + SUPPRESSION_MARGIN_IN_MINUTES;
}

const SUPPRESSION_MARGIN_IN_MINUTES = 5;

/** Share of the period's error budget, in percent, a tier spends over its long window at its burn factor. */
export function budgetSpentPercent(tier: BurnRateTier, policy: AlertingPolicy): number {
  const periodInMinutes = policy.sloPeriodInDays * 24 * 60;
  return Number(((tier.burnFactor * tier.longWindowInMinutes * 100) / periodInMinutes).toPrecision(3));
}
