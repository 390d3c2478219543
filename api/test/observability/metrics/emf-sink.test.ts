import { metricNamespace } from '../../../../contract/metrics';
import { EMF_VALUES_PER_DOCUMENT, EmfSink, type EmfDocument } from '../../../src/observability/metrics/emf-sink';
import { MetricsRecorder } from '../../../src/observability/metrics/metrics-recorder';
import type { RequestObservation } from '../../../src/observability/metrics/metrics-sink';
import { emfViolations } from './emf-spec';

// The sink encodes the periods the recorder aggregates, so it is driven through the recorder, as it runs.
const NOW = Date.now();
const MINUTE_START = Math.floor(NOW / 60_000) * 60_000;
const NAMESPACE = metricNamespace('Production');

function createSink(now: () => number = () => NOW) {
  const lines: string[] = [];
  const warnings: string[] = [];
  const sink = new EmfSink({
    namespace: NAMESPACE,
    write: (line) => lines.push(line),
    onWarning: (w) => warnings.push(w),
  });
  const recorder = new MetricsRecorder({ sink, now });
  const documents = (): EmfDocument[] => lines.map((line) => JSON.parse(line) as EmfDocument);
  return { sink, recorder, lines, documents, warnings };
}

function request(overrides: Partial<RequestObservation> = {}): RequestObservation {
  return { endpoint: 'POST /v1/events', statusCode: 201, durationMs: 12, ...overrides };
}

function dimensionsOf(document: EmfDocument): string[][] {
  return document._aws.CloudWatchMetrics[0].Dimensions;
}

describe('EmfSink', () => {
  it('writes nothing when nothing was recorded', async () => {
    const { recorder, lines } = createSink();

    await recorder.flush();

    expect(lines).toEqual([]);
  });

  it('writes one document per dimension set, each valid under the EMF specification, with no service dimension', async () => {
    const { recorder, documents, warnings } = createSink();
    recorder.recordRequest(request());
    recorder.recordRequest(request({ statusCode: 400, errorType: 'VALIDATION_ERROR', durationMs: 3 }));
    recorder.recordRequest(
      request({ endpoint: 'GET /v1/inbox', statusCode: 503, errorType: 'SERVICE_UNAVAILABLE', durationMs: 80 }),
    );
    recorder.recordEventsIngested(1);
    recorder.recordLookup('scan');

    await recorder.flush();

    const written = documents();
    expect(written.map(emfViolations)).toEqual(written.map(() => []));
    expect(written.map(dimensionsOf)).toEqual([
      [['Endpoint']],
      [['Endpoint', 'ErrorType']],
      [['Endpoint']],
      [['Endpoint', 'ErrorType']],
      [[]],
      [['Method']],
    ]);
    expect(warnings).toEqual([]);
  });

  it('describes an endpoint with latencies, counts and per-request rate samples, stamped with its minute', async () => {
    const { recorder, documents } = createSink();
    recorder.recordRequest(request({ durationMs: 12 }));
    recorder.recordRequest(request({ statusCode: 409, errorType: 'CONFLICT', durationMs: 7 }));
    recorder.recordRequest(request({ statusCode: 500, errorType: 'INTERNAL_ERROR', durationMs: 30 }));

    await recorder.flush();

    expect(documents()[0]).toEqual({
      _aws: {
        Timestamp: MINUTE_START,
        CloudWatchMetrics: [
          {
            Namespace: 'TriggersAPI/Production',
            Dimensions: [['Endpoint']],
            Metrics: [
              { Name: 'ApiLatency', Unit: 'Milliseconds' },
              { Name: 'ApiRequestCount', Unit: 'Count' },
              { Name: 'ApiErrorCount', Unit: 'Count' },
              { Name: 'ApiSuccessRate', Unit: 'Percent' },
              { Name: 'ApiErrorRate', Unit: 'Percent' },
            ],
          },
        ],
      },
      Endpoint: 'POST /v1/events',
      // HDR bucket midpoints at 2 significant digits (within 1 %), ascending: 12 ms is one, 7 and 30 ms are not.
      ApiLatency: [6.992, 12, 30.016],
      ApiRequestCount: 3,
      ApiErrorCount: 1,
      // 4xx count as success: two of three requests succeeded.
      ApiSuccessRate: [100, 100, 0],
      ApiErrorRate: [100, 0, 0],
    });
  });

  it('writes the request and 5xx counts of every endpoint once more without dimensions', async () => {
    const { recorder, documents } = createSink();
    for (let i = 0; i < 150; i += 1) recorder.recordRequest(request({ statusCode: i < 2 ? 500 : 200 }));
    recorder.recordRequest(request({ endpoint: 'GET /v1/inbox', statusCode: 503, errorType: 'SERVICE_UNAVAILABLE' }));
    recorder.recordRequest(request({ endpoint: 'GET /v1/inbox', statusCode: 404, errorType: 'NOT_FOUND' }));

    await recorder.flush();

    // What CloudWatch extracts for the series without dimensions: the members of every document declaring it.
    const undimensioned = documents().filter((d) => dimensionsOf(d).some((set) => set.length === 0));
    const sum = (member: string) => undimensioned.reduce((n, d) => n + ((d[member] as number) ?? 0), 0);
    expect(documents().map(emfViolations)).toEqual(documents().map(() => []));
    expect(sum('ApiRequestCount')).toBe(152);
    expect(sum('ApiErrorCount')).toBe(3);
  });

  it('counts error responses by endpoint and error type', async () => {
    const { recorder, documents } = createSink();
    recorder.recordRequest(request({ statusCode: 400, errorType: 'VALIDATION_ERROR' }));
    recorder.recordRequest(request({ statusCode: 400, errorType: 'VALIDATION_ERROR' }));
    recorder.recordRequest(request({ statusCode: 503, errorType: 'SERVICE_UNAVAILABLE' }));

    await recorder.flush();

    const byType = documents().filter((d) => 'ErrorType' in d);
    expect(byType.map((d) => [d.ErrorType, d.Endpoint, d.ApiErrorCount])).toEqual([
      ['VALIDATION_ERROR', 'POST /v1/events', 2],
      ['SERVICE_UNAVAILABLE', 'POST /v1/events', 1],
    ]);
  });

  it('splits many requests into documents that stay under the EMF value limit and add up', async () => {
    const { recorder, documents, lines } = createSink();
    const total = 2 * EMF_VALUES_PER_DOCUMENT + 52;
    for (let i = 0; i < total; i += 1)
      recorder.recordRequest(request({ durationMs: i + 1, statusCode: i < 120 ? 500 : 200 }));

    await recorder.flush();

    const endpoint = documents().filter((d) => d.Endpoint !== undefined && d.ErrorType === undefined);
    expect(endpoint.map(emfViolations)).toEqual([[], [], []]);
    expect(endpoint.map((d) => (d.ApiLatency as number[]).length)).toEqual([99, 99, 52]);
    expect(endpoint.map((d) => d.ApiRequestCount)).toEqual([99, 99, 52]);
    expect(endpoint.map((d) => d.ApiErrorCount)).toEqual([99, 21, 0]);
    const allRateSamples = endpoint.flatMap((d) => d.ApiErrorRate as number[]);
    expect(allRateSamples.filter((v) => v === 100)).toHaveLength(120);
    expect(allRateSamples).toHaveLength(total);
    // Every document went through the sink's writer (three above, HTTP_500 by type, no dimensions):
    // at 100 values Powertools would have printed and emptied a document of its own.
    expect(lines).toHaveLength(5);
  });

  it('lets the event loop turn while it writes many documents', async () => {
    const { recorder, lines } = createSink();
    for (let i = 0; i < 50 * EMF_VALUES_PER_DOCUMENT; i += 1) recorder.recordRequest(request({ durationMs: i % 300 }));
    let linesWhenTheLoopTurned: number | undefined;
    setImmediate(() => (linesWhenTheLoopTurned = lines.length));

    await recorder.flush();

    expect(lines.length).toBeGreaterThan(50);
    expect(linesWhenTheLoopTurned).toBeGreaterThan(0);
    expect(linesWhenTheLoopTurned).toBeLessThan(lines.length);
  });

  it('reports ingestion as one events-per-second value per second with ingestion', async () => {
    let now = MINUTE_START + 10_000;
    const { recorder, documents } = createSink(() => now);
    recorder.recordEventsIngested(3);
    recorder.recordEventsIngested(2);
    now += 1000;
    recorder.recordEventsIngested(7);

    await recorder.flush();

    expect(documents()).toEqual([
      {
        _aws: {
          Timestamp: MINUTE_START,
          CloudWatchMetrics: [
            { Namespace: NAMESPACE, Dimensions: [[]], Metrics: [{ Name: 'EventIngestionRate', Unit: 'Count/Second' }] },
          ],
        },
        EventIngestionRate: [5, 7],
      },
    ]);
  });

  it('writes each minute with its own timestamp', async () => {
    let now = MINUTE_START + 59_000;
    const { recorder, documents } = createSink(() => now);
    recorder.recordRequest(request());
    now += 2_000;
    recorder.recordRequest(request());

    await recorder.flush();

    const endpoint = documents().filter((d) => d.Endpoint !== undefined);
    expect(endpoint.map((d) => [d._aws.Timestamp, d.ApiRequestCount])).toEqual([
      [MINUTE_START, 1],
      [MINUTE_START + 60_000, 1],
    ]);
  });

  it('counts lookups by method', async () => {
    const { recorder, documents } = createSink();
    recorder.recordLookup('gsi');
    recorder.recordLookup('gsi');
    recorder.recordLookup('scan');

    await recorder.flush();

    expect(documents().map((d) => [d.Method, d.EventLookup, d._aws.CloudWatchMetrics[0].Metrics])).toEqual([
      ['gsi', 2, [{ Name: 'EventLookup', Unit: 'Count' }]],
      ['scan', 1, [{ Name: 'EventLookup', Unit: 'Count' }]],
    ]);
  });

  it('starts empty again after a flush', async () => {
    const { recorder, lines } = createSink();
    recorder.recordRequest(request());
    await recorder.flush();
    lines.length = 0;

    await recorder.flush();

    expect(lines).toEqual([]);
  });

  it('counts a line the writer refuses instead of throwing', async () => {
    const sink = new EmfSink({
      namespace: NAMESPACE,
      write: () => {
        throw new Error('EPIPE');
      },
    });
    const recorder = new MetricsRecorder({ sink });
    recorder.recordRequest(request());

    await expect(recorder.flush()).resolves.toBeUndefined();
    expect(sink.failedWriteCount).toBe(2);
    expect(recorder.sinkErrorCount).toBe(0);
  });

  it('is written to by the recorder every interval when one is given, with the minutes that ended', async () => {
    jest.useFakeTimers({ now: MINUTE_START + 30_000 });
    try {
      const lines: string[] = [];
      const sink = new EmfSink({ namespace: NAMESPACE, write: (line) => lines.push(line) });
      const recorder = new MetricsRecorder({ sink, flushIntervalMs: 60_000 });
      recorder.recordRequest(request());

      await jest.advanceTimersByTimeAsync(20_000);
      expect(lines).toHaveLength(0);
      await jest.advanceTimersByTimeAsync(40_000);

      expect(lines).toHaveLength(2);
      await recorder.close();
    } finally {
      jest.useRealTimers();
    }
  });

  it('is written to on close, and not after', async () => {
    const { recorder, lines } = createSink();
    recorder.recordRequest(request());

    await recorder.close();
    recorder.recordRequest(request());
    await recorder.flush();

    expect(lines).toHaveLength(2);
  });

  it.each(['', 'n'.repeat(256)])('refuses the namespace %j', (namespace) => {
    expect(() => new EmfSink({ namespace })).toThrow(/namespace must have 1-255 characters/);
  });
});
