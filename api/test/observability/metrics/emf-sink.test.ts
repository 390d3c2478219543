import { metricNamespace } from '../../../../contract/metrics';
import { EmfSink, type EmfDocument } from '../../../src/observability/metrics/emf-sink';
import type { RequestObservation } from '../../../src/observability/metrics/metrics-sink';
import { emfViolations } from './emf-spec';

const NOW = Date.parse('2025-11-11T12:00:30.250Z');
const NAMESPACE = metricNamespace('Production');

function createSink(options: { maxBufferedLatencies?: number; now?: () => number } = {}) {
  const lines: string[] = [];
  const sink = new EmfSink({ namespace: NAMESPACE, write: (line) => lines.push(line), now: () => NOW, ...options });
  const documents = (): EmfDocument[] => lines.map((line) => JSON.parse(line) as EmfDocument);
  return { sink, lines, documents };
}

function request(overrides: Partial<RequestObservation> = {}): RequestObservation {
  return { endpoint: 'POST /v1/events', statusCode: 201, durationMs: 12.5, ...overrides };
}

function dimensionsOf(document: EmfDocument): string[][] {
  return document._aws.CloudWatchMetrics[0].Dimensions;
}

describe('EmfSink', () => {
  it('writes nothing when nothing was recorded', async () => {
    const { sink, lines } = createSink();

    await sink.flush();

    expect(lines).toEqual([]);
  });

  it('writes one document per dimension set, each valid under the EMF specification', async () => {
    const { sink, documents } = createSink();
    sink.record(request());
    sink.record(request({ statusCode: 400, errorType: 'VALIDATION_ERROR', durationMs: 3 }));
    sink.record(
      request({ endpoint: 'GET /v1/inbox', statusCode: 503, errorType: 'SERVICE_UNAVAILABLE', durationMs: 80 }),
    );
    sink.recordEventsIngested(1);
    sink.recordLookup('scan');

    await sink.flush();

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
  });

  it('describes an endpoint with raw latencies, counts and per-request rate samples', async () => {
    const { sink, documents } = createSink();
    sink.record(request({ durationMs: 12.3456 }));
    sink.record(request({ statusCode: 409, errorType: 'CONFLICT', durationMs: 7 }));
    sink.record(request({ statusCode: 500, errorType: 'INTERNAL_ERROR', durationMs: 30 }));

    await sink.flush();

    expect(documents()[0]).toEqual({
      _aws: {
        Timestamp: NOW,
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
          {
            Namespace: 'TriggersAPI/Production',
            Dimensions: [[]],
            Metrics: [
              { Name: 'ApiRequestCount', Unit: 'Count' },
              { Name: 'ApiErrorCount', Unit: 'Count' },
            ],
          },
        ],
      },
      Endpoint: 'POST /v1/events',
      ApiLatency: [12.346, 7, 30],
      ApiRequestCount: 3,
      ApiErrorCount: 1,
      // 4xx count as success: two of three requests succeeded.
      ApiSuccessRate: [100, 100, 0],
      ApiErrorRate: [100, 0, 0],
    });
  });

  it('writes the request and 5xx counts of every endpoint once more without dimensions, in the same lines', async () => {
    const { sink, documents } = createSink();
    for (let i = 0; i < 150; i += 1) sink.record(request({ statusCode: i < 2 ? 500 : 200 }));
    sink.record(request({ endpoint: 'GET /v1/inbox', statusCode: 503, errorType: 'SERVICE_UNAVAILABLE' }));
    sink.record(request({ endpoint: 'GET /v1/inbox', statusCode: 404, errorType: 'NOT_FOUND' }));

    await sink.flush();

    // What CloudWatch extracts for the series without dimensions: the members of every document declaring it.
    const undimensioned = documents().filter((d) =>
      d._aws.CloudWatchMetrics.some((directive) => directive.Dimensions.some((set) => set.length === 0)),
    );
    const sum = (member: string) => undimensioned.reduce((n, d) => n + (d[member] as number), 0);
    expect(documents().map(emfViolations)).toEqual(documents().map(() => []));
    expect(sum('ApiRequestCount')).toBe(152);
    expect(sum('ApiErrorCount')).toBe(3);
  });

  it('counts error responses by endpoint and error type', async () => {
    const { sink, documents } = createSink();
    sink.record(request({ statusCode: 400, errorType: 'VALIDATION_ERROR' }));
    sink.record(request({ statusCode: 400, errorType: 'VALIDATION_ERROR' }));
    sink.record(request({ statusCode: 503, errorType: 'SERVICE_UNAVAILABLE' }));

    await sink.flush();

    const byType = documents().filter((d) => 'ErrorType' in d);
    expect(byType.map((d) => [d.ErrorType, d.Endpoint, d.ApiErrorCount])).toEqual([
      ['VALIDATION_ERROR', 'POST /v1/events', 2],
      ['SERVICE_UNAVAILABLE', 'POST /v1/events', 1],
    ]);
  });

  it('splits more than 100 requests into documents of at most 100 values that add up', async () => {
    const { sink, documents } = createSink();
    for (let i = 0; i < 250; i += 1) sink.record(request({ durationMs: i, statusCode: i < 120 ? 500 : 200 }));

    await sink.flush();

    const written = documents();
    expect(written.map(emfViolations)).toEqual([[], [], []]);
    expect(written.map((d) => (d.ApiLatency as number[]).length)).toEqual([100, 100, 50]);
    expect(written.map((d) => d.ApiRequestCount)).toEqual([100, 100, 50]);
    expect(written.map((d) => d.ApiErrorCount)).toEqual([100, 20, 0]);
    const allRateSamples = written.flatMap((d) => d.ApiErrorRate as number[]);
    expect(allRateSamples.filter((v) => v === 100)).toHaveLength(120);
    expect(allRateSamples).toHaveLength(250);
  });

  it('reports ingestion as one events-per-second value per second with ingestion', async () => {
    let now = NOW;
    const { sink, documents } = createSink({ now: () => now });
    sink.recordEventsIngested(3);
    sink.recordEventsIngested(2);
    now += 1000;
    sink.recordEventsIngested(7);

    await sink.flush();

    expect(documents()).toEqual([
      {
        _aws: {
          Timestamp: now,
          CloudWatchMetrics: [
            { Namespace: NAMESPACE, Dimensions: [[]], Metrics: [{ Name: 'EventIngestionRate', Unit: 'Count/Second' }] },
          ],
        },
        EventIngestionRate: [5, 7],
      },
    ]);
  });

  it('counts lookups by method', async () => {
    const { sink, documents } = createSink();
    sink.recordLookup('gsi');
    sink.recordLookup('gsi');
    sink.recordLookup('scan');

    await sink.flush();

    expect(documents().map((d) => [d.Method, d.EventLookup, d._aws.CloudWatchMetrics[0].Metrics])).toEqual([
      ['gsi', 2, [{ Name: 'EventLookup', Unit: 'Count' }]],
      ['scan', 1, [{ Name: 'EventLookup', Unit: 'Count' }]],
    ]);
  });

  it('starts empty again after a flush', async () => {
    const { sink, lines } = createSink();
    sink.record(request());
    await sink.flush();
    lines.length = 0;

    await sink.flush();

    expect(lines).toEqual([]);
  });

  it('keeps counts exact when the latency buffer is full, and counts the latencies it left out', async () => {
    const { sink, documents } = createSink({ maxBufferedLatencies: 2 });
    for (let i = 0; i < 5; i += 1) sink.record(request({ durationMs: i + 1 }));

    await sink.flush();

    const [endpoint] = documents();
    expect(endpoint.ApiLatency).toEqual([1, 2]);
    expect(endpoint.ApiRequestCount).toBe(5);
    expect(emfViolations(endpoint)).toEqual([]);
    expect(sink.droppedLatencyCount).toBe(3);
  });

  it('counts a line the writer refuses instead of rejecting', async () => {
    const sink = new EmfSink({
      namespace: NAMESPACE,
      write: () => {
        throw new Error('EPIPE');
      },
    });
    sink.record(request());

    await expect(sink.flush()).resolves.toBeUndefined();
    expect(sink.failedWriteCount).toBe(1);
  });

  it('flushes on its own every interval when one is given', async () => {
    jest.useFakeTimers();
    try {
      const lines: string[] = [];
      const sink = new EmfSink({ namespace: NAMESPACE, write: (line) => lines.push(line), flushIntervalMs: 60_000 });
      sink.record(request());

      await jest.advanceTimersByTimeAsync(60_000);

      expect(lines).toHaveLength(1);
      await sink.close();
    } finally {
      jest.useRealTimers();
    }
  });

  it('flushes on close and ignores what comes after', async () => {
    const { sink, lines } = createSink();
    sink.record(request());

    await sink.close();
    sink.record(request());
    await sink.flush();

    expect(lines).toHaveLength(1);
  });

  it.each(['', 'n'.repeat(256)])('refuses the namespace %j', (namespace) => {
    expect(() => new EmfSink({ namespace })).toThrow(/namespace must have 1-255 characters/);
  });

  it.each([
    [{ flushIntervalMs: 0 }, 'flushIntervalMs must be a positive integer, got 0'],
    [{ maxBufferedLatencies: -1 }, 'maxBufferedLatencies must be a positive integer, got -1'],
  ])('refuses options %j', (options, message) => {
    expect(() => new EmfSink({ namespace: NAMESPACE, ...options })).toThrow(message);
  });
});
