/**
 * How much traffic one stage admits: the HTTP API stage's default route throttling and the API function's
 * reserved concurrency. A flood (authenticated or not) is answered 429 by API Gateway before it invokes
 * Lambda, and the function can never take the account's whole concurrency pool, which the migration's
 * functions and everything else in the account share.
 */
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

/** The ingestion objective of the SLO spec (`monitoring/slo-spec.ts`, `ingestion.minimumEventsPerSecond`). */
export const INGESTION_TARGET_EVENTS_PER_SECOND = 1000;
/** Requests an event costs at steady state: its create and its ack (an inbox poll serves up to 100 events). */
const REQUESTS_PER_EVENT = 2;
/** Headroom above the objective before API Gateway answers 429. */
const HEADROOM = 1.5;
/** The p95 latency objective of `POST /v1/events`: how long one request holds an execution environment. */
const REQUEST_SECONDS = 0.1;

const rate = INGESTION_TARGET_EVENTS_PER_SECOND * REQUESTS_PER_EVENT * HEADROOM;

/**
 * Defaults derived from the SLO: 3,000 requests/s (1,000 events/s, a create and an ack each, 1.5x headroom),
 * bursts of half a second of that rate, and the concurrency that rate needs at the 100 ms objective (300).
 */
export const DEFAULT_API_LIMITS: ApiLimits = {
  throttleRatePerSecond: rate,
  throttleBurst: rate / 2,
  reservedConcurrency: Math.ceil(rate * REQUEST_SECONDS),
};

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
