import type { LookupMethod } from '../../../../contract/metrics';
import type { EndpointFigures, MetricsSnapshot } from '../../../../contract/metrics-snapshot';
import { EndpointStats } from './endpoint-stats';
import { LabelGuard } from './label-guard';
import { createCompactHistogram, toMicros } from './latency-histogram';
import { MetricsPeriod, periodStart } from './metrics-period';
import type { MetricsSink, RequestObservation } from './metrics-sink';
import { positiveInteger } from './positive-integer';
import { isErrorResponse } from './request-outcome';

/** Options of {@link MetricsRecorder}; every field has a default. */
export interface MetricsRecorderOptions {
  /** Length of the snapshot's recent window in seconds, 1-3600 (default 10). */
  windowSeconds?: number;
  /** Where each minute's figures go once the minute is over (default none: the snapshot only). */
  sink?: MetricsSink;
  /** How often ended minutes are handed to the sink (default: only on `flush()`, which the Lambda handler calls). */
  flushIntervalMs?: number;
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

// Minutes kept open at once: the current one, the one just ended, and room for a late timer.
const MAX_OPEN_PERIODS = 3;

/**
 * The API's one metrics aggregator (DESIGN §7): HDR latency histograms and counts per endpoint, since start and
 * over a recent window for the snapshot, and per minute for the sink, which only encodes what it is handed.
 * Recording is synchronous, does no I/O and never throws.
 */
export class MetricsRecorder {
  private readonly windowSeconds: number;
  private readonly sink: MetricsSink | undefined;
  private readonly timer: NodeJS.Timeout | undefined;
  // Minutes not yet handed to the sink, by start time.
  private readonly periods = new Map<number, MetricsPeriod>();
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
    this.sink = options.sink;
    this.now = options.now ?? Date.now;
    this.onSinkError = options.onSinkError;
    this.endpointGuard = new LabelGuard(positiveInteger('maxEndpoints', options.maxEndpoints ?? 64, 10_000));
    this.errorTypeGuard = new LabelGuard(positiveInteger('maxErrorTypes', options.maxErrorTypes ?? 64, 10_000));
    this.startedAtMs = this.now();
    this.ingestedSecond = new Float64Array(this.windowSeconds).fill(-1);
    this.ingestedCount = new Float64Array(this.windowSeconds);
    for (const endpoint of options.knownEndpoints ?? []) this.statsFor(this.endpointGuard.admit(endpoint));
    if (this.sink !== undefined && options.flushIntervalMs !== undefined) {
      const intervalMs = positiveInteger('flushIntervalMs', options.flushIntervalMs);
      this.timer = setInterval(() => void this.flushEndedPeriods(), intervalMs);
      // Metrics alone must not keep a process alive that is otherwise done.
      this.timer.unref();
    }
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
    try {
      const { endpoint, statusCode, durationMs, errorType } = this.normalize(observation);
      const nowMs = this.now();
      const micros = toMicros(durationMs);
      this.statsFor(endpoint).record(Math.floor(nowMs / 1000), statusCode, micros, errorType);
      this.periodAt(nowMs)?.recordRequest(endpoint, statusCode, micros, errorType);
    } catch {
      this.recordErrors += 1;
    }
  }

  /** Records events accepted by `POST /v1/events` (after they are durably written). */
  recordEventsIngested(count: number): void {
    if (!(count > 0) || !Number.isFinite(count)) return;
    const nowMs = this.now();
    const second = Math.floor(nowMs / 1000);
    const index = second % this.windowSeconds;
    if (this.ingestedSecond[index] !== second) {
      this.ingestedSecond[index] = second;
      this.ingestedCount[index] = 0;
    }
    this.ingestedCount[index] += count;
    this.ingestedTotal += count;
    this.periodAt(nowMs)?.recordEventsIngested(second, count);
  }

  /** Records how one event lookup went: through the `event-id-index` GSI or by a scan. */
  recordLookup(method: LookupMethod): void {
    if (method !== 'gsi' && method !== 'scan') {
      this.recordErrors += 1;
      return;
    }
    this.lookups[method] += 1;
    this.periodAt(this.now())?.recordLookup(method);
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

  /**
   * Hands every minute so far, the current one included, to the sink and waits for it to send them; never
   * rejects (failures are counted), so a Lambda invocation cannot fail on it.
   */
  async flush(): Promise<void> {
    this.handOver(Number.POSITIVE_INFINITY);
    await this.settle(() => this.sink?.flush());
  }

  /** Stops the timer, hands everything to the sink and closes it; later observations update the snapshot only. */
  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.timer);
    this.handOver(Number.POSITIVE_INFINITY);
    this.closed = true;
    await this.settle(() => this.sink?.close());
  }

  private flushEndedPeriods(): Promise<void> {
    this.handOver(periodStart(this.now()));
    return this.settle(() => this.sink?.flush());
  }

  /** The minute holding `nowMs`, or undefined when nothing takes periods (no sink, or closed). */
  private periodAt(nowMs: number): MetricsPeriod | undefined {
    if (this.sink === undefined || this.closed) return undefined;
    const start = periodStart(nowMs);
    let period = this.periods.get(start);
    if (period === undefined) {
      period = new MetricsPeriod(start);
      this.periods.set(start, period);
      // Without a timer tick (a blocked event loop, no flush), old minutes go to the sink instead of piling up.
      if (this.periods.size > MAX_OPEN_PERIODS) this.handOver(Math.min(...this.periods.keys()) + 1);
    }
    return period;
  }

  /** Hands the periods that start before `limitMs` to the sink, oldest first. */
  private handOver(limitMs: number): void {
    const ended = [...this.periods.values()].filter((p) => p.startMs < limitMs).sort((a, b) => a.startMs - b.startMs);
    if (ended.length === 0 || this.sink === undefined) return;
    for (const period of ended) this.periods.delete(period.startMs);
    try {
      this.sink.write(ended);
    } catch (error) {
      this.sinkFailed(error);
    }
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

  private async settle(call: () => Promise<void> | undefined): Promise<void> {
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
