import { CloudWatchClient, PutMetricDataCommand, type PutMetricDataInput } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchSink, type CloudWatchSinkOptions } from '../../../src/observability/metrics/cloudwatch-sink';
import { MetricsRecorder } from '../../../src/observability/metrics/metrics-recorder';
import type { RequestObservation } from '../../../src/observability/metrics/metrics-sink';

// CloudWatch has no local engine to run against, so its API is replaced by aws-sdk-client-mock's double;
// the assertions are on the exact PutMetricData requests the real client would send. The sink encodes the
// periods the recorder aggregates, so it is driven through the recorder and its timer, as the server runs it.
const cloudWatch = mockClient(CloudWatchClient);

const T0 = Date.parse('2025-11-11T12:00:30.500Z');
const MINUTE = new Date('2025-11-11T12:00:00.000Z');
const ENDPOINT = [{ Name: 'Endpoint', Value: 'POST /v1/events' }];
const DATUMS_PER_QUIET_ENDPOINT = 5;
/** Requests and 5xx of every endpoint together, without dimensions: two datums per minute with requests. */
const ALL_ENDPOINT_DATUMS = 2;
const DATUMS_PER_QUIET_MINUTE = DATUMS_PER_QUIET_ENDPOINT + ALL_ENDPOINT_DATUMS;

const recorders: MetricsRecorder[] = [];

function createSink(options: Partial<CloudWatchSinkOptions> & { flushIntervalMs?: number } = {}) {
  const client = new CloudWatchClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const { flushIntervalMs = 60_000, ...sinkOptions } = options;
  const sink = new CloudWatchSink({ client, namespace: 'TriggersAPI/Production', random: () => 0.5, ...sinkOptions });
  // Room for the batching tests' 250 endpoints (the default folds those past 64 into OTHER).
  const recorder = new MetricsRecorder({ sink, flushIntervalMs, maxEndpoints: 1000 });
  recorders.push(recorder);
  return { sink, recorder };
}

function request(overrides: Partial<RequestObservation> = {}): RequestObservation {
  return { endpoint: 'POST /v1/events', statusCode: 201, durationMs: 12, ...overrides };
}

function requests(): PutMetricDataInput[] {
  return cloudWatch.commandCalls(PutMetricDataCommand).map((call) => call.args[0].input);
}

function sdkError(name: string, httpStatusCode: number): Error {
  return Object.assign(new Error(`${name} from CloudWatch`), { name, $metadata: { httpStatusCode } });
}

beforeEach(() => {
  cloudWatch.reset();
  cloudWatch.on(PutMetricDataCommand).resolves({});
  jest.useFakeTimers({ now: T0 });
});

afterEach(async () => {
  cloudWatch.reset();
  cloudWatch.on(PutMetricDataCommand).resolves({});
  await Promise.all(recorders.splice(0).map((recorder) => recorder.close()));
  jest.useRealTimers();
});

describe('CloudWatchSink', () => {
  describe('request shape', () => {
    it('sends one minute as Values/Counts distributions and sums, stamped with the minute it covers', async () => {
      const { recorder } = createSink();
      recorder.recordRequest(request({ durationMs: 12 }));
      recorder.recordRequest(request({ statusCode: 503, errorType: 'SERVICE_UNAVAILABLE', durationMs: 40 }));
      recorder.recordEventsIngested(3);
      recorder.recordLookup('gsi');
      jest.setSystemTime(T0 + 1_000);
      recorder.recordEventsIngested(2);

      await jest.advanceTimersByTimeAsync(60_000);

      const common = { Timestamp: MINUTE, StorageResolution: 60 };
      expect(requests()).toEqual([
        {
          Namespace: 'TriggersAPI/Production',
          MetricData: [
            // Latencies are HDR bucket midpoints at 2 significant digits: 12 ms is one exactly, 40 ms is not.
            {
              MetricName: 'ApiLatency',
              Dimensions: ENDPOINT,
              Unit: 'Milliseconds',
              Values: [12, 40.064],
              Counts: [1, 1],
              ...common,
            },
            { MetricName: 'ApiRequestCount', Dimensions: ENDPOINT, Unit: 'Count', Value: 2, ...common },
            { MetricName: 'ApiErrorCount', Dimensions: ENDPOINT, Unit: 'Count', Value: 1, ...common },
            {
              MetricName: 'ApiSuccessRate',
              Dimensions: ENDPOINT,
              Unit: 'Percent',
              Values: [0, 100],
              Counts: [1, 1],
              ...common,
            },
            {
              MetricName: 'ApiErrorRate',
              Dimensions: ENDPOINT,
              Unit: 'Percent',
              Values: [0, 100],
              Counts: [1, 1],
              ...common,
            },
            {
              MetricName: 'ApiErrorCount',
              Dimensions: [...ENDPOINT, { Name: 'ErrorType', Value: 'SERVICE_UNAVAILABLE' }],
              Unit: 'Count',
              Value: 1,
              ...common,
            },
            // Every endpoint together, for the all-endpoint error-rate objective.
            { MetricName: 'ApiRequestCount', Unit: 'Count', Value: 2, ...common },
            { MetricName: 'ApiErrorCount', Unit: 'Count', Value: 1, ...common },
            { MetricName: 'EventIngestionRate', Unit: 'Count/Second', Values: [2, 3], Counts: [1, 1], ...common },
            {
              MetricName: 'EventLookup',
              Dimensions: [{ Name: 'Method', Value: 'gsi' }],
              Unit: 'Count',
              Value: 1,
              ...common,
            },
          ],
        },
      ]);
    });

    it('sums requests and 5xx of every endpoint into datums without dimensions', async () => {
      const { recorder } = createSink();
      recorder.recordRequest(request({ endpoint: 'GET /v1/inbox' }));
      recorder.recordRequest(
        request({ endpoint: 'POST /v1/events', statusCode: 503, errorType: 'SERVICE_UNAVAILABLE' }),
      );
      recorder.recordRequest(request({ endpoint: 'POST /v1/events', statusCode: 400, errorType: 'VALIDATION_ERROR' }));

      await recorder.flush();

      const undimensioned = requests()[0].MetricData?.filter((d) => d.Dimensions === undefined);
      expect(undimensioned?.map((d) => [d.MetricName, d.Value])).toEqual([
        ['ApiRequestCount', 3],
        ['ApiErrorCount', 1],
      ]);
    });

    it('weights the success rate by requests, so its Average is the share of non-5xx responses', async () => {
      const { recorder } = createSink();
      for (let i = 0; i < 997; i += 1) recorder.recordRequest(request());
      for (let i = 0; i < 3; i += 1) recorder.recordRequest(request({ statusCode: 500, errorType: 'INTERNAL_ERROR' }));

      await recorder.flush();

      const successRate = requests()[0].MetricData?.find((d) => d.MetricName === 'ApiSuccessRate');
      expect(successRate).toMatchObject({ Values: [0, 100], Counts: [3, 997] });
    });

    it('merges latencies into at most 150 distinct values', async () => {
      const { recorder } = createSink();
      for (let ms = 1; ms <= 2_000; ms += 1) recorder.recordRequest(request({ durationMs: ms }));

      await recorder.flush();

      const latency = requests()[0].MetricData?.find((d) => d.MetricName === 'ApiLatency');
      expect(latency?.Values?.length).toBeLessThanOrEqual(150);
      expect(latency?.Counts?.reduce((a, b) => a + b, 0)).toBe(2_000);
    });
  });

  describe('timing', () => {
    it('sends a minute from the timer only once the minute is over', async () => {
      const { recorder } = createSink({ flushIntervalMs: 10_000 });
      recorder.recordRequest(request());

      await jest.advanceTimersByTimeAsync(20_000); // 12:00:50.5
      const beforeMinuteEnd = requests().length;
      await jest.advanceTimersByTimeAsync(10_000); // 12:01:00.5

      expect(beforeMinuteEnd).toBe(0);
      expect(requests()).toHaveLength(1);
    });

    it('sends the current minute too when flushed', async () => {
      const { sink, recorder } = createSink();
      recorder.recordRequest(request());

      await recorder.flush();

      expect(requests()).toHaveLength(1);
      expect(sink.sentCount).toBe(DATUMS_PER_QUIET_MINUTE);
    });

    it('keeps observations of different minutes in different datums', async () => {
      const { recorder } = createSink();
      recorder.recordRequest(request());
      jest.setSystemTime(T0 + 60_000);
      recorder.recordRequest(request());

      await recorder.flush();

      const stamps = requests()[0]
        .MetricData?.filter((d) => d.MetricName === 'ApiRequestCount' && d.Dimensions !== undefined)
        .map((d) => d.Timestamp);
      expect(stamps).toEqual([MINUTE, new Date('2025-11-11T12:01:00.000Z')]);
    });

    it('does not keep the process alive with its timer', () => {
      const setIntervalSpy = jest.spyOn(globalThis, 'setInterval');

      createSink();

      const timer = setIntervalSpy.mock.results[0].value as NodeJS.Timeout;
      expect(timer.hasRef()).toBe(false);
      setIntervalSpy.mockRestore();
    });
  });

  describe('batching', () => {
    it('splits more than 1000 datums into requests of at most 1000', async () => {
      const { recorder } = createSink({ maxRequestBytes: 8 * 1024 * 1024 });
      for (let i = 0; i < 250; i += 1) recorder.recordRequest(request({ endpoint: `GET /e${i}` }));

      await recorder.flush();

      expect(requests().map((r) => r.MetricData?.length)).toEqual([1000, 250 + ALL_ENDPOINT_DATUMS]);
    });

    it('sends every datum exactly once within the default size budget', async () => {
      const { recorder } = createSink();
      for (let i = 0; i < 250; i += 1) recorder.recordRequest(request({ endpoint: `GET /e${i}`, durationMs: i }));

      await recorder.flush();

      const sent = requests().flatMap((r) => r.MetricData ?? []);
      expect(requests().every((r) => (r.MetricData?.length ?? 0) <= 1000)).toBe(true);
      expect(sent).toHaveLength(250 * DATUMS_PER_QUIET_ENDPOINT + ALL_ENDPOINT_DATUMS);
      expect(new Set(sent.map((d) => `${d.MetricName} ${d.Dimensions?.[0].Value}`)).size).toBe(sent.length);
    });
  });

  describe('failures', () => {
    it('retries a throttled request with backoff, then succeeds', async () => {
      cloudWatch
        .on(PutMetricDataCommand)
        .rejectsOnce(sdkError('Throttling', 400))
        .rejectsOnce(sdkError('ServiceUnavailable', 503))
        .resolves({});
      const { sink, recorder } = createSink({ baseBackoffMs: 200 });
      recorder.recordRequest(request());

      const flushed = recorder.flush();
      await jest.advanceTimersByTimeAsync(1_000);
      await flushed;

      expect(requests()).toHaveLength(3);
      expect(requests()[2]).toEqual(requests()[0]);
      expect(sink.sentCount).toBe(DATUMS_PER_QUIET_MINUTE);
      expect(sink.dropped).toBe(0);
    });

    it('waits longer before each retry', async () => {
      cloudWatch
        .on(PutMetricDataCommand)
        .rejectsOnce(sdkError('Throttling', 400))
        .rejectsOnce(sdkError('Throttling', 400))
        .resolves({});
      const { recorder } = createSink({ baseBackoffMs: 200, random: () => 0.5 });
      recorder.recordRequest(request());

      const flushed = recorder.flush();
      await jest.advanceTimersByTimeAsync(0);
      const afterFirst = requests().length;
      await jest.advanceTimersByTimeAsync(100); // first backoff: 0.5 * 200
      const afterSecond = requests().length;
      await jest.advanceTimersByTimeAsync(199); // second backoff is 0.5 * 400: not yet
      const stillSecond = requests().length;
      await jest.advanceTimersByTimeAsync(1);
      await flushed;

      expect([afterFirst, afterSecond, stillSecond, requests().length]).toEqual([1, 2, 2, 3]);
    });

    it('gives up after the last attempt while CloudWatch stays unreachable, and counts the datums', async () => {
      cloudWatch.on(PutMetricDataCommand).rejects(sdkError('ServiceUnavailable', 503));
      const warnings: [string, Record<string, unknown>][] = [];
      const { sink, recorder } = createSink({
        maxAttempts: 3,
        onWarning: (message, detail) => warnings.push([message, detail]),
      });
      recorder.recordRequest(request());

      const flushed = recorder.flush();
      await jest.advanceTimersByTimeAsync(10_000);
      await flushed;

      expect(requests()).toHaveLength(3);
      expect(sink.dropped).toBe(DATUMS_PER_QUIET_MINUTE);
      expect(warnings).toEqual([
        [
          'CloudWatch metrics dropped: CloudWatch unreachable',
          {
            datums: DATUMS_PER_QUIET_MINUTE,
            dropped_total: DATUMS_PER_QUIET_MINUTE,
            attempts: 3,
            error: 'ServiceUnavailable',
            error_message: 'ServiceUnavailable from CloudWatch',
          },
        ],
      ]);
    });

    it('does not retry a request CloudWatch refuses as invalid', async () => {
      cloudWatch.on(PutMetricDataCommand).rejects(sdkError('InvalidParameterValueException', 400));
      const { sink, recorder } = createSink();
      recorder.recordRequest(request());

      await recorder.flush();

      expect(requests()).toHaveLength(1);
      expect(sink.dropped).toBe(DATUMS_PER_QUIET_MINUTE);
    });

    it('keeps later batches for the next tick when CloudWatch is unreachable, and sends them once it is back', async () => {
      cloudWatch.on(PutMetricDataCommand).rejects(sdkError('ServiceUnavailable', 503));
      const { sink, recorder } = createSink({ maxAttempts: 1, maxRequestBytes: 8 * 1024 * 1024 });
      for (let i = 0; i < 250; i += 1) recorder.recordRequest(request({ endpoint: `GET /e${i}` }));

      await recorder.flush();
      const whileDown = { calls: requests().length, dropped: sink.dropped, pending: sink.pendingCount };
      cloudWatch.reset();
      cloudWatch.on(PutMetricDataCommand).resolves({});
      await recorder.flush();

      expect(whileDown).toEqual({ calls: 1, dropped: 1000, pending: 250 + ALL_ENDPOINT_DATUMS });
      expect(requests().map((r) => r.MetricData?.length)).toEqual([250 + ALL_ENDPOINT_DATUMS]);
      expect(sink.pendingCount).toBe(0);
    });

    it('bounds what waits to be sent, dropping the oldest datums first', async () => {
      const { sink, recorder } = createSink({ maxPendingDatums: 6 });
      for (let minute = 0; minute < 3; minute += 1) {
        jest.setSystemTime(T0 + minute * 60_000);
        recorder.recordRequest(request());
      }

      await recorder.flush();

      const sent = requests()[0].MetricData ?? [];
      expect(sink.dropped).toBe(3 * DATUMS_PER_QUIET_MINUTE - 6);
      expect(sent.map((d) => [d.MetricName, (d.Timestamp as Date).toISOString()])).toEqual([
        ['ApiRequestCount', '2025-11-11T12:02:00.000Z'],
        ['ApiErrorCount', '2025-11-11T12:02:00.000Z'],
        ['ApiSuccessRate', '2025-11-11T12:02:00.000Z'],
        ['ApiErrorRate', '2025-11-11T12:02:00.000Z'],
        ['ApiRequestCount', '2025-11-11T12:02:00.000Z'],
        ['ApiErrorCount', '2025-11-11T12:02:00.000Z'],
      ]);
    });

    it('never throws from record while CloudWatch fails', async () => {
      cloudWatch.on(PutMetricDataCommand).rejects(sdkError('ServiceUnavailable', 503));
      const { recorder } = createSink({ maxAttempts: 1 });

      recorder.recordRequest(request());
      await recorder.flush();

      expect(() => recorder.recordRequest(request())).not.toThrow();
    });
  });

  describe('close', () => {
    it('sends what is pending, then ignores later observations', async () => {
      const { recorder } = createSink();
      recorder.recordRequest(request());

      await recorder.close();
      recorder.recordRequest(request());
      await recorder.flush();

      expect(requests()).toHaveLength(1);
      expect(requests()[0].MetricData).toHaveLength(DATUMS_PER_QUIET_MINUTE);
    });

    it('returns within its time bound when CloudWatch keeps failing, counting what it could not send', async () => {
      cloudWatch.on(PutMetricDataCommand).rejects(sdkError('Throttling', 400));
      const { sink, recorder } = createSink({
        closeTimeoutMs: 2_000,
        maxAttempts: 100,
        baseBackoffMs: 60_000,
        maxBackoffMs: 60_000,
      });
      recorder.recordRequest(request());

      let closed = false;
      const closing = recorder.close().then(() => (closed = true));
      await jest.advanceTimersByTimeAsync(1_999);
      const closedEarly = closed;
      await jest.advanceTimersByTimeAsync(1);
      await closing;

      expect(closedEarly).toBe(false);
      expect(closed).toBe(true);
      expect(sink.dropped).toBe(DATUMS_PER_QUIET_MINUTE);
    });
  });

  it.each([
    [{ namespace: '' }, /namespace must have 1-255 characters/],
    [{ maxPendingDatums: 0 }, /maxPendingDatums must be a positive integer, got 0/],
    [{ flushIntervalMs: -1 }, /flushIntervalMs must be a positive integer, got -1/],
  ])('refuses options %j', (options, message) => {
    expect(() => createSink(options)).toThrow(message);
  });
});
