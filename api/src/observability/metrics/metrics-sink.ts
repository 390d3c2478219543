import type { MetricsPeriod } from './metrics-period';

/** One served request, as the recorder takes it. */
export interface RequestObservation {
  /** `METHOD /route/template`, e.g. `POST /v1/events`. */
  readonly endpoint: string;
  readonly statusCode: number;
  readonly durationMs: number;
  /** API error code (e.g. `VALIDATION_ERROR`); the recorder sets it on every 4xx/5xx and on nothing else. */
  readonly errorType?: string | undefined;
}

/**
 * Where the recorder's periods go: a thin encoder of {@link MetricsPeriod}s. The recorder aggregates; a sink
 * only turns a period into its own format. Nothing here runs per request.
 */
export interface MetricsSink {
  /** Encodes ended periods, oldest first. Synchronous: a sink that sends queues the sending for `flush`. */
  write(periods: readonly MetricsPeriod[]): void;
  /** Finishes sending what was written. */
  flush(): Promise<void>;
  /** Flushes, then releases timers and resources; later writes are ignored. */
  close(): Promise<void>;
}
