/**
 * How much traffic one stage admits: the HTTP API stage's default route throttling and the API function's
 * reserved concurrency. A flood (authenticated or not) is answered 429 by API Gateway before it invokes
 * Lambda, and the function can never take the account's whole concurrency pool, which the migration's
 * functions and everything else in the account share.
 */
import { latencyTargetInMillis, SLO_SPEC, type SloSpec } from '../../contract/slo-spec';

export interface ApiLimits {
  /** Steady-state requests per second the stage admits (token-bucket refill rate). */
  readonly throttleRatePerSecond: number;
  /** Requests the stage admits at once above the steady rate (token-bucket depth). */
  readonly throttleBurst: number;
  /**
   * Concurrent executions reserved for (and capping) the API function. Reserving needs that much
   * unreserved concurrency in the account and region, minus the 100 Lambda always leaves unreserved.
   */
  readonly reservedConcurrency: number;
}

/** Requests an event costs at steady state: its create and its ack (an inbox poll serves up to 100 events). */
const REQUESTS_PER_EVENT = 2;
/** Headroom above the objective before API Gateway answers 429. */
const HEADROOM = 1.5;

/**
 * Defaults derived from the SLO spec: the ingestion objective's events/s, a create and an ack each, with
 * 1.5x headroom (3,000 requests/s for 1,000 events/s); the concurrency that rate needs while each request
 * holds an environment for the slowest p95 latency target (300 at `POST /v1/events`' 100 ms, the most
 * common request); and a burst no larger than that concurrency, so what API Gateway lets through at once
 * Lambda can run, instead of throttling it into 5xx.
 */
export function defaultApiLimits(spec: SloSpec = SLO_SPEC): ApiLimits {
  const rate = spec.ingestion.minimumEventsPerSecond * REQUESTS_PER_EVENT * HEADROOM;
  const ingestLatencySeconds = (latencyTargetInMillis(spec.ingestion.endpoint, spec) ?? 100) / 1000;
  const reservedConcurrency = Math.ceil(rate * ingestLatencySeconds);
  return { throttleRatePerSecond: rate, throttleBurst: reservedConcurrency, reservedConcurrency };
}

export const DEFAULT_API_LIMITS: ApiLimits = defaultApiLimits();

/** The limits with `overrides` applied, checked: throws naming the value received and what is expected. */
export function apiLimits(overrides: Partial<ApiLimits> = {}): ApiLimits {
  const limits = { ...DEFAULT_API_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`ApiStack: limits.${name} must be a positive integer; got ${String(value)}`);
    }
  }
  return limits;
}
