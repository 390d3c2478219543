import { register as globalRegistry } from 'prom-client';
import { PrometheusMetricNames } from '../../../../contract/metrics';
import { MetricsRecorder } from '../../../src/observability/metrics/metrics-recorder';
import type { RequestObservation } from '../../../src/observability/metrics/metrics-sink';
import { PrometheusSink } from '../../../src/observability/metrics/prometheus-sink';

// The sink encodes the periods the recorder aggregates; `/metrics` flushes the recorder before each scrape, as here.
function createSink(): { sink: PrometheusSink; recorder: MetricsRecorder; scrape: () => Promise<string> } {
  const sink = new PrometheusSink();
  const recorder = new MetricsRecorder({ sink });
  const scrape = async (): Promise<string> => {
    await recorder.flush();
    return sink.metrics();
  };
  return { sink, recorder, scrape };
}

function request(overrides: Partial<RequestObservation> = {}): RequestObservation {
  return { endpoint: 'POST /v1/events', statusCode: 201, durationMs: 42, ...overrides };
}

function lines(text: string): string[] {
  return text.split('\n');
}

describe('PrometheusSink', () => {
  it('exposes request latency as a histogram by endpoint', async () => {
    const { recorder, scrape } = createSink();
    recorder.recordRequest(request({ durationMs: 42 }));
    recorder.recordRequest(request({ statusCode: 200, durationMs: 150 }));
    recorder.recordRequest(request({ statusCode: 400, errorType: 'VALIDATION_ERROR', durationMs: 3 }));

    const text = await scrape();

    // Values are the HDR bucket midpoints (42.048, 150.5 and 3.0 ms here), within 1 % of what was measured.
    expect(lines(text)).toEqual(
      expect.arrayContaining([
        '# TYPE triggers_api_request_duration_seconds histogram',
        'triggers_api_request_duration_seconds_bucket{le="0.005",endpoint="POST /v1/events"} 1',
        'triggers_api_request_duration_seconds_bucket{le="0.05",endpoint="POST /v1/events"} 2',
        'triggers_api_request_duration_seconds_bucket{le="0.1",endpoint="POST /v1/events"} 2',
        'triggers_api_request_duration_seconds_bucket{le="0.2",endpoint="POST /v1/events"} 3',
        'triggers_api_request_duration_seconds_bucket{le="+Inf",endpoint="POST /v1/events"} 3',
        'triggers_api_request_duration_seconds_count{endpoint="POST /v1/events"} 3',
      ]),
    );
  });

  it('adds each scrape’s new requests to what earlier scrapes exposed', async () => {
    const { recorder, scrape } = createSink();
    recorder.recordRequest(request());
    await scrape();
    recorder.recordRequest(request());

    const text = await scrape();

    expect(lines(text)).toContain('triggers_api_requests_total{endpoint="POST /v1/events",status_code="201"} 2');
    expect(lines(text)).toContain('triggers_api_request_duration_seconds_count{endpoint="POST /v1/events"} 2');
  });

  it('counts requests by endpoint and status code, and errors by error type', async () => {
    const { recorder, scrape } = createSink();
    recorder.recordRequest(request());
    recorder.recordRequest(request());
    recorder.recordRequest(request({ endpoint: 'GET /v1/inbox', statusCode: 503, errorType: 'SERVICE_UNAVAILABLE' }));
    recorder.recordRequest(request({ statusCode: 400, errorType: 'VALIDATION_ERROR' }));

    const text = await scrape();

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
    const { recorder, scrape } = createSink();
    recorder.recordEventsIngested(3);
    recorder.recordEventsIngested(2);
    recorder.recordLookup('gsi');
    recorder.recordLookup('scan');
    recorder.recordLookup('scan');

    const text = await scrape();

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
    const first = createSink();
    const second = createSink();

    first.recorder.recordRequest(request());
    await first.scrape();

    expect(await second.scrape()).not.toContain('status_code="201"');
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
    const { sink, recorder } = createSink();
    recorder.recordRequest(request());

    await recorder.close();

    expect((await sink.metrics()).trim()).toBe('');
  });
});
