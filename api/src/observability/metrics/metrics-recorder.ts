import type { LookupMethod } from '../../../../contract/metrics';
import type { EndpointFigures, MetricsSnapshot } from '../metrics-snapshot';
import { EndpointStats } from './endpoint-stats';
import { LabelGuard } from './label-guard';
import { createCompactHistogram, toMicros } from './latency-histogram';
import type { MetricsSink, RequestObservation } from './metrics-sink';
import { positiveInteger } from './positive-integer';
import { isErrorResponse } from './request-outcome';

/** Options of {@link MetricsRecorder}; every field has a default. */
export interface MetricsRecorderOptions {
  /** Length of the snapshot's recent window in seconds, 1-3600 (default 10). */
  windowSeconds?: number;
  /** Where observations are fanned out to (default none). */
  sinks?: readonly MetricsSink[];
  /** Endpoints listed in snapshots before their first request, e.g. `API_ENDPOINTS` (default none). */
  knownEndpoints?: readonly string[];
  /** Distinct endpoints tracked; later ones are folded into `OTHER` (default 64). */
  maxEndpoints?: number;
  /** Distinct error types tracked; later ones are folded into `OTHER` (default 64). */
  maxErrorTypes?: number;
  /** Clock in epoch milliseconds (default `Date.now`). */
  now?: () => number;
  /** Told about each sink failure, e.g. to log it (default: counted only). */
  onSinkError?: (error: unknown) => void;
}

/**
 * The API's one in-process metrics recorder (DESIGN §7): HDR latency histograms and counts per endpoint, since
 * start and over a recent window, fanned out to sinks. Recording is synchronous, does no I/O and never throws.
 */
export class MetricsRecorder {
  private readonly windowSeconds: number;
  private readonly sinks: readonly MetricsSink[];
  private readonly now: () => number;
  private readonly onSinkError: ((error: unknown) => void) | undefined;
  private readonly endpointGuard: LabelGuard;
  private readonly errorTypeGuard: LabelGuard;
  private readonly stats = new Map<string, EndpointStats>();
  private sortedStats: EndpointStats[] = [];
  // Reused by every snapshot to merge the window's per-second histograms.
  private readonly scratch = createCompactHistogram();
  private readonly startedAtMs: number;
  private readonly ingestedSecond: Float64Array;
  private readonly ingestedCount: Float64Array;
  private ingestedTotal = 0;
  private readonly lookups = { gsi: 0, scan: 0 };
  private sinkErrors = 0;
  private recordErrors = 0;
  private closed = false;

  constructor(options: MetricsRecorderOptions = {}) {
    this.windowSeconds = positiveInteger('windowSeconds', options.windowSeconds ?? 10, 3600);
    this.sinks = options.sinks ?? [];
    this.now = options.now ?? Date.now;
    this.onSinkError = options.onSinkError;
    this.endpointGuard = new LabelGuard(positiveInteger('maxEndpoints', options.maxEndpoints ?? 64, 10_000));
    this.errorTypeGuard = new LabelGuard(positiveInteger('maxErrorTypes', options.maxErrorTypes ?? 64, 10_000));
    this.startedAtMs = this.now();
    this.ingestedSecond = new Float64Array(this.windowSeconds).fill(-1);
    this.ingestedCount = new Float64Array(this.windowSeconds);
    for (const endpoint of options.knownEndpoints ?? []) this.statsFor(this.endpointGuard.admit(endpoint));
  }

  /** Sink calls that threw or rejected since start. */
  get sinkErrorCount(): number {
    return this.sinkErrors;
  }

  /** Observations the recorder itself could not take (malformed input); kept apart so the request path never throws. */
  get recordErrorCount(): number {
    return this.recordErrors;
  }

  /** Records one served request; called once per response. */
  recordRequest(observation: RequestObservation): void {
    let normalized: RequestObservation;
    try {
      normalized = this.normalize(observation);
      const second = Math.floor(this.now() / 1000);
      const micros = toMicros(normalized.durationMs);
      this.statsFor(normalized.endpoint).record(second, normalized.statusCode, micros, normalized.errorType);
    } catch {
      this.recordErrors += 1;
      return;
    }
    if (this.closed) return;
    for (const sink of this.sinks) {
      try {
        sink.record(normalized);
      } catch (error) {
        this.sinkFailed(error);
      }
    }
  }

  /** Records events accepted by `POST /v1/events` (after they are durably written). */
  recordEventsIngested(count: number): void {
    if (!(count > 0) || !Number.isFinite(count)) return;
    const second = Math.floor(this.now() / 1000);
    const index = second % this.windowSeconds;
    if (this.ingestedSecond[index] !== second) {
      this.ingestedSecond[index] = second;
      this.ingestedCount[index] = 0;
    }
    this.ingestedCount[index] += count;
    this.ingestedTotal += count;
    if (this.closed) return;
    for (const sink of this.sinks) {
      try {
        sink.recordEventsIngested?.(count);
      } catch (error) {
        this.sinkFailed(error);
      }
    }
  }

  /** Records how one event lookup went: through the `event-id-index` GSI or by a scan. */
  recordLookup(method: LookupMethod): void {
    if (method !== 'gsi' && method !== 'scan') {
      this.recordErrors += 1;
      return;
    }
    this.lookups[method] += 1;
    if (this.closed) return;
    for (const sink of this.sinks) {
      try {
        sink.recordLookup?.(method);
      } catch (error) {
        this.sinkFailed(error);
      }
    }
  }

  /** Figures since start and over the recent window; reads only, so any number of pollers may call it. */
  snapshot(): MetricsSnapshot {
    const nowMs = this.now();
    const nowSecond = Math.floor(nowMs / 1000);
    const window: EndpointFigures[] = [];
    const total: EndpointFigures[] = [];
    for (const stats of this.sortedStats) {
      window.push(stats.windowFigures(nowSecond, this.scratch));
      total.push(stats.totalFigures());
    }
    return {
      timestamp: new Date(nowMs).toISOString(),
      windowSeconds: this.windowSeconds,
      window,
      total,
      ingestion: {
        ratePerSecond: this.windowIngested(nowSecond) / this.windowSpanSeconds(nowMs),
        total: this.ingestedTotal,
      },
      lookups: { ...this.lookups },
    };
  }

  /** Flushes every sink; never rejects (failures are counted), so a Lambda invocation cannot fail on it. */
  async flush(): Promise<void> {
    await Promise.all(this.sinks.map((sink) => this.settle(() => sink.flush())));
  }

  /** Closes every sink (each flushes first); later observations still update the snapshot but reach no sink. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.sinks.map((sink) => this.settle(() => sink.close())));
  }

  private normalize(observation: RequestObservation): RequestObservation {
    const endpoint = this.endpointGuard.admit(observation.endpoint);
    const errorType = isErrorResponse(observation.statusCode)
      ? this.errorTypeGuard.admit(observation.errorType ?? `HTTP_${observation.statusCode}`)
      : undefined;
    // Allocate only when something changed: the common case passes the caller's object through.
    if (endpoint === observation.endpoint && errorType === observation.errorType) return observation;
    return { endpoint, statusCode: observation.statusCode, durationMs: observation.durationMs, errorType };
  }

  private statsFor(endpoint: string): EndpointStats {
    let stats = this.stats.get(endpoint);
    if (stats === undefined) {
      stats = new EndpointStats(endpoint, this.windowSeconds);
      this.stats.set(endpoint, stats);
      this.sortedStats = [...this.stats.values()].sort((a, b) => (a.endpoint < b.endpoint ? -1 : 1));
    }
    return stats;
  }

  private windowIngested(nowSecond: number): number {
    let sum = 0;
    for (let i = 0; i < this.windowSeconds; i += 1) {
      const second = this.ingestedSecond[i];
      if (second > nowSecond - this.windowSeconds && second <= nowSecond) sum += this.ingestedCount[i];
    }
    return sum;
  }

  // The window holds the current, partial second: divide by the time it really spans, not by windowSeconds,
  // and by at least a second so the first instants after start do not report huge rates.
  private windowSpanSeconds(nowMs: number): number {
    const windowStartMs = Math.max(this.startedAtMs, (Math.floor(nowMs / 1000) - this.windowSeconds + 1) * 1000);
    return Math.max((nowMs - windowStartMs) / 1000, 1);
  }

  private async settle(call: () => Promise<void>): Promise<void> {
    try {
      await call();
    } catch (error) {
      this.sinkFailed(error);
    }
  }

  private sinkFailed(error: unknown): void {
    this.sinkErrors += 1;
    try {
      this.onSinkError?.(error);
    } catch {
      // A failing error reporter must not turn into a failing request.
    }
  }
}
