import type { ApiEndpoint } from '../../../../contract/metrics';
import type { EndpointFigures, LatencyPercentiles, MetricsSnapshot } from '../../../../contract/metrics-snapshot';

/** One endpoint's figures over the recent window, as a test feeds them. */
export interface FedEndpoint {
  endpoint: ApiEndpoint;
  requestCount: number;
  errorCount: number;
  latency?: LatencyPercentiles;
}

/** One step of traffic: what the recorder saw over the recent window. */
export interface FedFigures {
  endpoints: FedEndpoint[];
  ingestionRatePerSecond: number;
}

const WINDOW_SECONDS = 60;

/** A stand-in for the metrics recorder: tests feed it figures and read them back as snapshots. */
export class FakeMetricsRecorder {
  private window: EndpointFigures[] = [];
  private readonly totals = new Map<string, EndpointFigures>();
  private ingestion = { ratePerSecond: 0, total: 0 };

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** Replaces the window figures and adds them to the totals, as a recorder does when time moves on. */
  feed(figures: FedFigures): void {
    this.window = figures.endpoints.map((fed) => endpointFigures(fed));
    for (const fed of figures.endpoints) {
      const previous = this.totals.get(fed.endpoint);
      this.totals.set(
        fed.endpoint,
        endpointFigures({
          ...fed,
          requestCount: (previous?.requestCount ?? 0) + fed.requestCount,
          errorCount: (previous?.errorCount ?? 0) + fed.errorCount,
        }),
      );
    }
    this.ingestion = {
      ratePerSecond: figures.ingestionRatePerSecond,
      total: this.ingestion.total + figures.ingestionRatePerSecond,
    };
  }

  /** The current figures; a property so it can be handed over as `() => MetricsSnapshot`. */
  readonly snapshot = (): MetricsSnapshot => ({
    timestamp: this.now().toISOString(),
    windowSeconds: WINDOW_SECONDS,
    window: structuredClone(this.window),
    total: structuredClone([...this.totals.values()]),
    ingestion: { ...this.ingestion },
    lookups: { gsi: this.totals.get('GET /v1/events/{event_id}')?.requestCount ?? 0, scan: 0 },
  });
}

function endpointFigures(fed: FedEndpoint): EndpointFigures {
  const errorRatePercent = fed.requestCount > 0 ? (fed.errorCount / fed.requestCount) * 100 : 0;
  return {
    endpoint: fed.endpoint,
    requestCount: fed.requestCount,
    errorCount: fed.errorCount,
    successRatePercent: 100 - errorRatePercent,
    errorRatePercent,
    latency: fed.requestCount > 0 ? fed.latency : undefined,
    errorsByType: fed.errorCount > 0 ? { INTERNAL_ERROR: fed.errorCount } : {},
  };
}

/** Plausible, steadily changing traffic for step `n`: latencies drift, one error now and then. */
export function trafficStep(n: number): FedFigures {
  const wave = Math.sin(n / 2);
  const ingestionRatePerSecond = Math.round(1100 + 250 * wave);
  return {
    ingestionRatePerSecond,
    endpoints: [
      {
        endpoint: 'POST /v1/events',
        requestCount: ingestionRatePerSecond * WINDOW_SECONDS,
        errorCount: n % 3 === 2 ? 120 : 10,
        latency: { p50Ms: 22 + 4 * wave, p95Ms: 70 + 20 * wave, p99Ms: 110 + 30 * wave },
      },
      {
        endpoint: 'GET /v1/inbox',
        requestCount: 3000 + 200 * n,
        errorCount: 0,
        latency: { p50Ms: 40 + 5 * wave, p95Ms: 150 + 40 * wave, p99Ms: 240 + 30 * wave },
      },
      {
        endpoint: 'GET /v1/events/{event_id}',
        requestCount: 1800 + 100 * n,
        errorCount: 1,
        latency: { p50Ms: 8 + wave, p95Ms: 30 + 15 * wave, p99Ms: 55 + 10 * wave },
      },
      {
        endpoint: 'POST /v1/events/{event_id}/ack',
        requestCount: 1500,
        errorCount: 0,
        latency: { p50Ms: 12, p95Ms: 35 + 5 * wave, p99Ms: 60 },
      },
      { endpoint: 'GET /v1/health', requestCount: 60, errorCount: 0, latency: { p50Ms: 1, p95Ms: 2, p99Ms: 3 } },
    ],
  };
}
