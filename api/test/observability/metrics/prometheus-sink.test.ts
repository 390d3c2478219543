import { register as globalRegistry } from 'prom-client';
import { PrometheusMetricNames } from '../../../../contract/metrics';
import type { RequestObservation } from '../../../src/observability/metrics/metrics-sink';
import { PrometheusSink } from '../../../src/observability/metrics/prometheus-sink';

function request(overrides: Partial<RequestObservation> = {}): RequestObservation {
  return { endpoint: 'POST /v1/events', statusCode: 201, durationMs: 42, ...overrides };
}

function lines(text: string): string[] {
  return text.split('\n');
}

describe('PrometheusSink', () => {
  it('exposes request latency as a histogram by endpoint and status class', async () => {
    const sink = new PrometheusSink();
    sink.record(request({ durationMs: 42 }));
    sink.record(request({ statusCode: 200, durationMs: 150 }));
    sink.record(request({ statusCode: 400, errorType: 'VALIDATION_ERROR', durationMs: 3 }));

    const text = await sink.metrics();

    expect(lines(text)).toEqual(
      expect.arrayContaining([
        '# TYPE triggers_api_request_duration_seconds histogram',
        'triggers_api_request_duration_seconds_bucket{le="0.05",endpoint="POST /v1/events",status_class="2xx"} 1',
        'triggers_api_request_duration_seconds_bucket{le="0.2",endpoint="POST /v1/events",status_class="2xx"} 2',
        'triggers_api_request_duration_seconds_bucket{le="+Inf",endpoint="POST /v1/events",status_class="2xx"} 2',
        'triggers_api_request_duration_seconds_sum{endpoint="POST /v1/events",status_class="2xx"} 0.192',
        'triggers_api_request_duration_seconds_count{endpoint="POST /v1/events",status_class="2xx"} 2',
        'triggers_api_request_duration_seconds_bucket{le="0.005",endpoint="POST /v1/events",status_class="4xx"} 1',
      ]),
    );
  });

  it('counts requests by endpoint and status code, and errors by error type', async () => {
    const sink = new PrometheusSink();
    sink.record(request());
    sink.record(request());
    sink.record(request({ endpoint: 'GET /v1/inbox', statusCode: 503, errorType: 'SERVICE_UNAVAILABLE' }));
    sink.record(request({ statusCode: 400, errorType: 'VALIDATION_ERROR' }));

    const text = await sink.metrics();

    expect(lines(text)).toEqual(
      expect.arrayContaining([
        '# TYPE triggers_api_requests_total counter',
        'triggers_api_requests_total{endpoint="POST /v1/events",status_code="201"} 2',
        'triggers_api_requests_total{endpoint="POST /v1/events",status_code="400"} 1',
        'triggers_api_requests_total{endpoint="GET /v1/inbox",status_code="503"} 1',
        '# TYPE triggers_api_errors_total counter',
        'triggers_api_errors_total{endpoint="GET /v1/inbox",error_type="SERVICE_UNAVAILABLE"} 1',
        'triggers_api_errors_total{endpoint="POST /v1/events",error_type="VALIDATION_ERROR"} 1',
      ]),
    );
    expect(lines(text).filter((line) => line.startsWith('triggers_api_errors_total{'))).toHaveLength(2);
  });

  it('counts ingested events and lookups by method', async () => {
    const sink = new PrometheusSink();
    sink.recordEventsIngested(3);
    sink.recordEventsIngested(2);
    sink.recordLookup('gsi');
    sink.recordLookup('scan');
    sink.recordLookup('scan');

    const text = await sink.metrics();

    expect(lines(text)).toEqual(
      expect.arrayContaining([
        'triggers_api_events_ingested_total 5',
        'triggers_api_event_lookups_total{method="gsi"} 1',
        'triggers_api_event_lookups_total{method="scan"} 2',
      ]),
    );
  });

  it('serves the Prometheus text format content type', () => {
    expect(new PrometheusSink().contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('keeps each sink on its own registry, away from the global one', async () => {
    const first = new PrometheusSink();
    const second = new PrometheusSink();

    first.record(request());

    expect(await second.metrics()).not.toContain('status_code="201"');
    expect(globalRegistry.getSingleMetric(PrometheusMetricNames.requestsTotal)).toBeUndefined();
  });

  it.each([
    [true, true],
    [false, false],
  ])('adds process metrics only when asked (%p)', async (collectDefaultMetrics, expected) => {
    const sink = new PrometheusSink({ collectDefaultMetrics });

    const text = await sink.metrics();

    expect(text.includes('process_cpu_user_seconds_total')).toBe(expected);
  });

  it('empties its registry on close', async () => {
    const sink = new PrometheusSink();
    sink.record(request());

    await sink.close();

    expect((await sink.metrics()).trim()).toBe('');
  });
});
