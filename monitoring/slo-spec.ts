/**
 * The service level objectives of the Triggers API (DESIGN §8): the one source the dashboards,
 * alarms, load-test thresholds and docs are generated from.
 */
import { API_ENDPOINTS, type ApiEndpoint } from '../api/src/observability/metric-definitions';

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
}

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
};

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
