/**
 * k6 `options` for a scenario of `scenarios.ts`: one arrival-rate k6 scenario per traffic part, and the
 * thresholds generated from the SLO spec (load/slo-thresholds.json) narrowed to the endpoints the
 * scenario calls. Pure and free of k6 imports, so Node tests it; the entry scripts read the thresholds
 * file and check the result against @types/k6's `Options`.
 */
import { ENDPOINT_TAG, EVENTS_ACCEPTED_METRIC } from '../../contract/k6-vocabulary.ts';
import type { ApiEndpoint } from '../../contract/metrics';
import { KNEE_WINDOW_SECONDS, type KneeLimits } from './knee.ts';
import {
  parseDuration,
  requestedEventRate,
  withRate,
  type IterationKind,
  type ScenarioSpec,
  type TrafficPart,
} from './scenarios.ts';

/**
 * The tag each iteration's metrics carry to name their 5-second window: its start in seconds since the
 * scenario started (`window:15` covers [15 s, 20 s)). k6's end-of-test data has no time series, so the
 * timeline and the knee come from per-window sub-metrics.
 */
export const WINDOW_TAG = 'window';

/** The metrics declared per window: enough for a timeline point and the knee rule. */
export const WINDOW_METRICS = [
  'http_req_duration',
  'http_reqs',
  'http_req_failed',
  'iterations',
  EVENTS_ACCEPTED_METRIC,
];

/** The endpoint the ingestion objective and the knee's p95 target are about. */
export const INGESTION_ENDPOINT: ApiEndpoint = 'POST /v1/events';

/**
 * Status codes counted per endpoint (sub-metrics `http_reqs{endpoint:X,status:N}`): what the API answers
 * (docs/API.md), 0 for no response, and what a proxy in front of it may add. k6's summary only holds
 * sub-metrics declared in advance, so any other status is counted as `other`.
 */
export const COUNTED_STATUSES = [0, 200, 201, 400, 401, 404, 409, 413, 415, 429, 500, 502, 503, 504] as const;

/** The endpoints an iteration may call (ack, delete and get create an event when they have none yet). */
export const ITERATION_ENDPOINTS: Record<IterationKind, readonly ApiEndpoint[]> = {
  create: ['POST /v1/events'],
  'create-batch': ['POST /v1/events/batch'],
  'poll-and-ack': ['GET /v1/inbox', 'POST /v1/events/{event_id}/ack'],
  poll: ['GET /v1/inbox'],
  ack: ['POST /v1/events/{event_id}/ack', 'POST /v1/events'],
  delete: ['DELETE /v1/events/{event_id}', 'POST /v1/events'],
  get: ['GET /v1/events/{event_id}', 'POST /v1/events'],
};

/** Trend statistics in k6's summary: the percentiles the summary and the SLO need, and the sample count. */
export const SUMMARY_TREND_STATS = ['avg', 'min', 'med', 'max', 'p(50)', 'p(95)', 'p(99)', 'count'];

/** Time units a rate may be expressed in: k6 takes whole iterations per unit, so 7.5/s becomes 75 per 10 s. */
const TIME_UNITS_SECONDS = [1, 10, 100, 1000];

/** A scenario as it will run: rates scaled by `RATE`, duration from `DURATION` or the scenario's default. */
export interface ScenarioRun {
  spec: ScenarioSpec;
  durationSeconds: number;
}

/** The generated thresholds file (monitoring/generate/k6-thresholds.ts `K6ThresholdsFile`). */
export interface ThresholdsFile {
  thresholds: Record<string, string[]>;
}

interface ArrivalRateBase {
  exec: string;
  timeUnit: string;
  preAllocatedVUs: number;
  maxVUs: number;
}

export interface K6ConstantArrivalRate extends ArrivalRateBase {
  executor: 'constant-arrival-rate';
  rate: number;
  duration: string;
}

export interface K6RampingArrivalRate extends ArrivalRateBase {
  executor: 'ramping-arrival-rate';
  startRate: number;
  stages: { target: number; duration: string }[];
}

/** The k6 options these scripts set: a subset of @types/k6 `Options`, which the entry scripts check it against. */
export interface K6Options {
  scenarios: Record<string, K6ConstantArrivalRate | K6RampingArrivalRate>;
  thresholds: Record<string, string[]>;
  summaryTrendStats: string[];
}

/** The scenario with `RATE` (iterations/s of its primary part) and `DURATION` (e.g. `2m`) applied. */
export function resolveRun(spec: ScenarioSpec, env: Record<string, string | undefined>): ScenarioRun {
  const rate = env.RATE ? Number(env.RATE) : undefined;
  if (rate !== undefined && !(rate > 0 && Number.isFinite(rate))) {
    throw new Error(`RATE must be a positive number of iterations per second, got '${env.RATE}'`);
  }
  const durationSeconds = env.DURATION ? parseDuration(env.DURATION) : spec.durationSeconds;
  if (!(durationSeconds > 0)) throw new Error(`DURATION must be longer than 0 s, got '${env.DURATION}'`);
  const run = { spec: rate === undefined ? spec : withRate(spec, rate), durationSeconds };
  assertEndpointsCovered(run.spec);
  return run;
}

/** k6 options for a run: its arrival processes, its thresholds and the summary statistics. */
export function k6Options(run: ScenarioRun, file: ThresholdsFile): K6Options {
  return {
    scenarios: Object.fromEntries(run.spec.traffic.map((part) => [part.name, k6Scenario(part, run.durationSeconds)])),
    thresholds: scenarioThresholds(run, file),
    summaryTrendStats: SUMMARY_TREND_STATS,
  };
}

/** The thresholds file's text as a {@link ThresholdsFile}, or an error saying what is wrong with it. */
export function parseThresholdsFile(text: string): ThresholdsFile {
  const parsed = JSON.parse(text) as unknown;
  const thresholds = isRecord(parsed) ? parsed.thresholds : undefined;
  if (!isRecord(thresholds))
    throw new Error('slo-thresholds.json has no "thresholds" object: run `npm run slo:generate`');
  for (const [metric, expressions] of Object.entries(thresholds)) {
    if (!Array.isArray(expressions) || !expressions.every((e) => typeof e === 'string')) {
      throw new Error(`slo-thresholds.json: thresholds of ${metric} must be a list of expressions`);
    }
  }
  return { thresholds: thresholds as Record<string, string[]> };
}

/** Start of the 5-second window `elapsedMs` into a run falls in; the run's last instant belongs to its last window. */
export function windowStartOf(elapsedMs: number, durationSeconds: number): number {
  const starts = windowStarts(durationSeconds);
  const last = starts[starts.length - 1] ?? 0;
  return Math.min(last, Math.max(0, Math.floor(elapsedMs / 1000 / KNEE_WINDOW_SECONDS) * KNEE_WINDOW_SECONDS));
}

/** The starts of a run's 5-second windows: 0, 5, 10, ... (the last one may be shorter). */
export function windowStarts(durationSeconds: number): number[] {
  const count = Math.max(1, Math.ceil(durationSeconds / KNEE_WINDOW_SECONDS - 1e-9));
  return Array.from({ length: count }, (_, index) => index * KNEE_WINDOW_SECONDS);
}

/** `http_reqs{window:15}`: one window's samples of a metric. */
export function windowMetric(metric: string, windowStart: number): string {
  return `${metric}{${WINDOW_TAG}:${windowStart}}`;
}

/**
 * The knee's limits from the generated thresholds: the p95 target of the ingestion endpoint and the
 * maximum failure rate of all requests, the same SLO figures the local runner takes from the spec.
 */
export function kneeLimits(file: ThresholdsFile): KneeLimits {
  const p95 = single(file, endpointMetric('http_req_duration', INGESTION_ENDPOINT), /^p\(95\)\s*<\s*(\d+(?:\.\d+)?)$/);
  const failures = single(file, 'http_req_failed', /^rate\s*<\s*(\d+(?:\.\d+)?)$/);
  return { p95TargetMs: p95, maxFailureRate: failures };
}

/** The number in the one expression of `metric` that matches `pattern`; an error naming the metric otherwise. */
function single(file: ThresholdsFile, metric: string, pattern: RegExp): number {
  for (const expression of file.thresholds[metric] ?? []) {
    const match = pattern.exec(expression.trim());
    if (match) return Number(match[1]);
  }
  throw new Error(`slo-thresholds.json has no ${pattern.source} threshold on ${metric}: run \`npm run slo:generate\``);
}

/**
 * The rate of the ingestion objective (`events_accepted: rate>=N`), or undefined when the thresholds have
 * none. A run is held to it only when it asked for at least that rate: at 50 events/s, 1,000 accepted per
 * second cannot happen, and failing on it would say nothing about the API.
 */
export function ingestionObjectiveRate(file: ThresholdsFile): number | undefined {
  const expressions = file.thresholds[EVENTS_ACCEPTED_METRIC];
  if (expressions === undefined) return undefined;
  const rates = expressions.map((expression) => {
    const match = /^rate\s*>=\s*(\d+(?:\.\d+)?)$/.exec(expression.trim());
    if (!match) throw new Error(`Unexpected ${EVENTS_ACCEPTED_METRIC} threshold '${expression}' (expected rate>=N)`);
    return Number(match[1]);
  });
  return Math.max(...rates);
}

/** `http_req_duration{endpoint:POST /v1/events}`: a sub-metric selecting one endpoint's requests. */
export function endpointMetric(metric: string, endpoint: string): string {
  return `${metric}{${ENDPOINT_TAG}:${endpoint}}`;
}

/** `http_reqs{endpoint:POST /v1/events,status:201}`: one endpoint's responses with one status. */
export function statusMetric(endpoint: string, status: number): string {
  return `http_reqs{${ENDPOINT_TAG}:${endpoint},status:${status}}`;
}

/** Every request a run sends must fall under one of its endpoints, or the summary would leave it out. */
function assertEndpointsCovered(spec: ScenarioSpec): void {
  for (const part of spec.traffic) {
    for (const { kind } of part.mix) {
      const missing = ITERATION_ENDPOINTS[kind].filter((endpoint) => !spec.endpoints.includes(endpoint));
      if (missing.length > 0) {
        throw new Error(
          `Scenario ${spec.name}: iteration '${kind}' calls ${missing.join(', ')}, missing from its endpoints`,
        );
      }
    }
  }
}

function k6Scenario(part: TrafficPart, durationSeconds: number): K6ConstantArrivalRate | K6RampingArrivalRate {
  const stages = part.stages ?? [];
  const unitSeconds = timeUnitFor([part.rate, ...stages.map((stage) => stage.target)]);
  const perUnit = (rate: number): number => Math.round(rate * unitSeconds);
  const common = {
    exec: part.name,
    timeUnit: `${unitSeconds}s`,
    // All slots exist from the start, as in the local runner: with fewer pre-allocated VUs, k6 drops the
    // iterations that arrive while it starts more, which would fail the run for the generator's sake.
    preAllocatedVUs: part.maxInFlight,
    maxVUs: part.maxInFlight,
  };
  if (part.executor === 'constant-arrival-rate') {
    return {
      executor: 'constant-arrival-rate',
      rate: perUnit(part.rate),
      duration: seconds(durationSeconds),
      ...common,
    };
  }
  return {
    executor: 'ramping-arrival-rate',
    startRate: perUnit(part.rate),
    stages: stages.map((stage) => ({
      target: perUnit(stage.target),
      duration: seconds(stage.durationShare * durationSeconds),
    })),
    ...common,
  };
}

/** The shortest time unit in which every rate is a whole number of iterations (the last one rounds). */
function timeUnitFor(rates: number[]): number {
  const whole = (value: number): boolean => Math.abs(value - Math.round(value)) < 1e-9;
  return TIME_UNITS_SECONDS.find((unit) => rates.every((rate) => whole(rate * unit))) ?? 1000;
}

/** `90` -> `90s`; fractions kept to the millisecond. */
function seconds(value: number): string {
  return `${Number(value.toFixed(3))}s`;
}

/**
 * The generated thresholds that apply to this run, plus what makes k6's summary and verdict complete:
 * per-endpoint sub-metrics (an empty list declares one; k6 reports only declared sub-metrics), a request
 * count above 0 per endpoint (a threshold on a sub-metric without samples passes in k6, so an endpoint
 * that got no traffic must fail here), per-status counts, and no dropped iterations.
 */
function scenarioThresholds(run: ScenarioRun, file: ThresholdsFile): Record<string, string[]> {
  const { spec } = run;
  const thresholds: Record<string, string[]> = {};
  for (const [metric, expressions] of Object.entries(file.thresholds)) {
    const endpoint = taggedEndpoint(metric);
    if (endpoint !== undefined && !(spec.endpoints as string[]).includes(endpoint)) continue;
    if (metric === EVENTS_ACCEPTED_METRIC) {
      const objective = ingestionObjectiveRate(file) ?? 0;
      const asked = requestedEventRate(spec, run.durationSeconds);
      // Held to the ingestion objective when the scenario offers its rate for the whole run
      // (`role.ingestionObjective`) and asks for at least that rate: elsewhere it would fail by construction.
      if (spec.role.ingestionObjective && asked >= objective) {
        thresholds[metric] = expressions.map((e) => acceptedCountThreshold(e, run.durationSeconds));
      }
      continue;
    }
    thresholds[metric] = [...expressions];
  }
  const declare = (metric: string, expressions: string[] = []): void => {
    thresholds[metric] = [...(thresholds[metric] ?? []), ...expressions];
  };
  for (const endpoint of spec.endpoints) {
    declare(endpointMetric('http_req_duration', endpoint));
    declare(endpointMetric('http_req_failed', endpoint));
    declare(endpointMetric('http_reqs', endpoint), ['count>0']);
    for (const status of COUNTED_STATUSES) declare(statusMetric(endpoint, status));
  }
  declare('dropped_iterations', ['count==0']);
  for (const start of windowStarts(run.durationSeconds)) {
    for (const metric of WINDOW_METRICS) declare(windowMetric(metric, start));
  }
  return thresholds;
}

/**
 * `rate>=1000` on events accepted, as a count over the scheduled run: `count>=60000` for 60 s. k6 divides
 * a counter by the whole test run, setup and graceful stop included, so at an arrival rate equal to the
 * objective its `rate` stays just under it even when every event is accepted.
 */
function acceptedCountThreshold(expression: string, durationSeconds: number): string {
  const match = /^rate\s*>=\s*(\d+(?:\.\d+)?)$/.exec(expression.trim());
  if (!match) throw new Error(`Unexpected ${EVENTS_ACCEPTED_METRIC} threshold '${expression}' (expected rate>=N)`);
  return `count>=${Math.ceil(Number(match[1]) * durationSeconds)}`;
}

/** The endpoint a `metric{endpoint:X}` key selects, or undefined when it selects none. */
function taggedEndpoint(metric: string): string | undefined {
  const open = metric.indexOf('{');
  if (open < 0 || !metric.endsWith('}')) return undefined;
  const prefix = `${ENDPOINT_TAG}:`;
  const tags = metric.slice(open + 1, -1).split(',');
  const tag = tags.find((t) => t.trim().startsWith(prefix));
  return tag?.trim().slice(prefix.length).trim();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
