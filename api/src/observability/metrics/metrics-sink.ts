import type { LookupMethod } from '../../../../contract/metrics';

/** One served request, as the recorder hands it to every sink. */
export interface RequestObservation {
  /** `METHOD /route/template`, e.g. `POST /v1/events`. */
  readonly endpoint: string;
  readonly statusCode: number;
  readonly durationMs: number;
  /** API error code (e.g. `VALIDATION_ERROR`); the recorder sets it on every 4xx/5xx and on nothing else. */
  readonly errorType?: string | undefined;
}

/**
 * Where observations go besides the in-process recorder. `record*` run on the request path: they must be
 * synchronous, allocation-light and free of I/O; all I/O happens in `flush` (or a sink's own timer).
 */
export interface MetricsSink {
  record(observation: RequestObservation): void;
  recordEventsIngested?(count: number): void;
  recordLookup?(method: LookupMethod): void;
  /** Sends or writes what has been aggregated so far. */
  flush(): Promise<void>;
  /** Flushes, then releases timers and resources; later observations are ignored. */
  close(): Promise<void>;
}
