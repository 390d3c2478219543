import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { LOOKUP_METHODS, PrometheusMetricNames } from '../../../../contract/metrics';
import { recordedValueCounts } from './latency-histogram';
import type { MetricsPeriod } from './metrics-period';
import type { MetricsSink } from './metrics-sink';

/** Histogram buckets in seconds; they include the SLO thresholds (50, 100, 200 ms). */
export const DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5, 5, 10];

/** Options of {@link PrometheusSink}. */
export interface PrometheusSinkOptions {
  /** Adds prom-client's process metrics (CPU, memory, event loop lag) to the registry (default false). */
  collectDefaultMetrics?: boolean;
}

/**
 * Prometheus exposition for a local `/metrics` route, on a registry of its own so that several apps (tests
 * start many) never collide in prom-client's global one. The route hands the recorder's periods over on each
 * scrape (`MetricsRecorder.flush`), and this sink adds them to its counters and histogram.
 */
export class PrometheusSink implements MetricsSink {
  /** The registry behind `/metrics`. */
  readonly registry = new Registry();
  private readonly duration: Histogram<'endpoint'>;
  private readonly requests: Counter<'endpoint' | 'status_code'>;
  private readonly errors: Counter<'endpoint' | 'error_type'>;
  private readonly ingested: Counter;
  private readonly lookups: Counter<'method'>;

  constructor(options: PrometheusSinkOptions = {}) {
    const registers = [this.registry];
    this.duration = new Histogram({
      name: PrometheusMetricNames.requestDurationSeconds,
      help: 'Request latency in seconds (HDR bucket midpoints, within 1 %)',
      labelNames: ['endpoint'],
      buckets: DURATION_BUCKETS_SECONDS,
      registers,
    });
    this.requests = new Counter({
      name: PrometheusMetricNames.requestsTotal,
      help: 'Requests served',
      labelNames: ['endpoint', 'status_code'],
      registers,
    });
    this.errors = new Counter({
      name: PrometheusMetricNames.errorsTotal,
      help: 'Error responses (4xx and 5xx) by API error code',
      labelNames: ['endpoint', 'error_type'],
      registers,
    });
    this.ingested = new Counter({
      name: PrometheusMetricNames.eventsIngestedTotal,
      help: 'Events accepted',
      registers,
    });
    this.lookups = new Counter({
      name: PrometheusMetricNames.eventLookupsTotal,
      help: 'Event lookups by method (gsi or scan)',
      labelNames: ['method'],
      registers,
    });
    if (options.collectDefaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** `Content-Type` of {@link metrics}. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text for `/metrics`. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  write(periods: readonly MetricsPeriod[]): void {
    for (const period of periods) {
      for (const { endpoint, tally, latency } of period.endpoints.values()) {
        const duration = this.duration.labels({ endpoint });
        for (const { value, count } of recordedValueCounts(latency)) {
          for (let i = 0; i < count; i += 1) duration.observe(value / 1000);
        }
        for (const [status, count] of tally.byStatus) {
          this.requests.inc({ endpoint, status_code: String(status) }, count);
        }
        for (const [errorType, count] of tally.errorsByType) {
          this.errors.inc({ endpoint, error_type: errorType }, count);
        }
      }
      let ingested = 0;
      for (const count of period.ingestedPerSecond.values()) ingested += count;
      if (ingested > 0) this.ingested.inc(ingested);
      for (const method of LOOKUP_METHODS) {
        if (period.lookups[method] > 0) this.lookups.inc({ method }, period.lookups[method]);
      }
    }
  }

  /** Nothing to send: Prometheus pulls. */
  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.registry.clear();
    return Promise.resolve();
  }
}
