import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { PrometheusMetricNames, type LookupMethod } from '../../../../contract/metrics';
import type { MetricsSink, RequestObservation } from './metrics-sink';
import { statusClass } from './request-outcome';

/** Histogram buckets in seconds; they include the SLO thresholds (50, 100, 200 ms) so those ratios are exact. */
export const DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5, 5, 10];

/** Options of {@link PrometheusSink}. */
export interface PrometheusSinkOptions {
  /** Adds prom-client's process metrics (CPU, memory, event loop lag) to the registry (default false). */
  collectDefaultMetrics?: boolean;
}

interface RequestSeries {
  duration: Histogram.Internal<'endpoint' | 'status_class'>;
  requests: Counter.Internal;
}

/**
 * Prometheus exposition for a local `/metrics` route, on a registry of its own so that several apps (tests
 * start many) never collide in prom-client's global one.
 */
export class PrometheusSink implements MetricsSink {
  /** The registry behind `/metrics`. */
  readonly registry = new Registry();
  private readonly duration: Histogram<'endpoint' | 'status_class'>;
  private readonly requests: Counter<'endpoint' | 'status_code'>;
  private readonly errors: Counter<'endpoint' | 'error_type'>;
  private readonly ingested: Counter;
  private readonly lookups: Counter<'method'>;
  // Bound children per endpoint and status: recording skips prom-client's label hashing after the first time.
  private readonly requestSeries = new Map<string, Map<number, RequestSeries>>();
  private readonly errorSeries = new Map<string, Map<string, Counter.Internal>>();

  constructor(options: PrometheusSinkOptions = {}) {
    const registers = [this.registry];
    this.duration = new Histogram({
      name: PrometheusMetricNames.requestDurationSeconds,
      help: 'Request latency in seconds',
      labelNames: ['endpoint', 'status_class'],
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

  record(observation: RequestObservation): void {
    const series = this.seriesFor(observation.endpoint, observation.statusCode);
    series.duration.observe(Math.max(observation.durationMs, 0) / 1000);
    series.requests.inc();
    if (observation.errorType !== undefined) this.errorCounter(observation.endpoint, observation.errorType).inc();
  }

  recordEventsIngested(count: number): void {
    this.ingested.inc(count);
  }

  recordLookup(method: LookupMethod): void {
    this.lookups.inc({ method });
  }

  /** Nothing to send: Prometheus pulls. */
  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.registry.clear();
    return Promise.resolve();
  }

  private seriesFor(endpoint: string, statusCode: number): RequestSeries {
    let byStatus = this.requestSeries.get(endpoint);
    if (byStatus === undefined) {
      byStatus = new Map();
      this.requestSeries.set(endpoint, byStatus);
    }
    let series = byStatus.get(statusCode);
    if (series === undefined) {
      series = {
        duration: this.duration.labels({ endpoint, status_class: statusClass(statusCode) }),
        requests: this.requests.labels({ endpoint, status_code: String(statusCode) }),
      };
      byStatus.set(statusCode, series);
    }
    return series;
  }

  private errorCounter(endpoint: string, errorType: string): Counter.Internal {
    let byType = this.errorSeries.get(endpoint);
    if (byType === undefined) {
      byType = new Map();
      this.errorSeries.set(endpoint, byType);
    }
    let counter = byType.get(errorType);
    if (counter === undefined) {
      counter = this.errors.labels({ endpoint, error_type: errorType });
      byType.set(errorType, counter);
    }
    return counter;
  }
}
