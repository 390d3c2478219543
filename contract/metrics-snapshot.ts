/** Latency percentiles in milliseconds. */
export interface LatencyPercentiles {
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

/** One endpoint's figures, over a recent window or since start. */
export interface EndpointFigures {
  /** `METHOD /route/template`, e.g. `POST /v1/events`. */
  endpoint: string;
  requestCount: number;
  /** Responses with status >= 500. */
  errorCount: number;
  /** Non-5xx / all, in percent; 100 when there were no requests. */
  successRatePercent: number;
  /** 5xx / all, in percent; 0 when there were no requests. */
  errorRatePercent: number;
  /** Undefined when the endpoint had no requests. */
  latency: LatencyPercentiles | undefined;
  /** Error responses (4xx and 5xx) by error code, e.g. `{VALIDATION_ERROR: 3}`. */
  errorsByType: Record<string, number>;
}

/** What the recorder knows at one instant, for the local dashboard and `/metrics`-style readers. */
export interface MetricsSnapshot {
  /** ISO-8601 time of the snapshot. */
  timestamp: string;
  /** Length of the recent window in seconds. */
  windowSeconds: number;
  /** Per endpoint, over the recent window. */
  window: EndpointFigures[];
  /** Per endpoint, since the process started. */
  total: EndpointFigures[];
  /** Events accepted per second over the recent window, and since start. */
  ingestion: { ratePerSecond: number; total: number };
  /** Event lookups by method since start. */
  lookups: { gsi: number; scan: number };
}

/** What tools read from the local server's `GET /dashboard/data` (the load runner among them): the recorder's snapshot. */
export interface SnapshotResponse {
  snapshot: MetricsSnapshot;
}
