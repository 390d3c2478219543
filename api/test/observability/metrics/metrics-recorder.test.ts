import { API_ENDPOINTS } from '../../../../contract/metrics';
import { MetricsRecorder, type MetricsRecorderOptions } from '../../../src/observability/metrics/metrics-recorder';
import type { MetricsPeriod } from '../../../src/observability/metrics/metrics-period';
import type { MetricsSink, RequestObservation } from '../../../src/observability/metrics/metrics-sink';

const START = Date.parse('2025-11-11T12:00:00.000Z');

function createRecorder(options: MetricsRecorderOptions = {}) {
  const clock = { now: START };
  const recorder = new MetricsRecorder({ now: () => clock.now, ...options });
  return { recorder, clock };
}

function request(overrides: Partial<RequestObservation> = {}): RequestObservation {
  return { endpoint: 'POST /v1/events', statusCode: 201, durationMs: 10, ...overrides };
}

/** Keeps the periods it is handed: what every real sink encodes. */
class CapturingSink implements MetricsSink {
  readonly periods: MetricsPeriod[] = [];
  flushes = 0;
  closes = 0;
  write(periods: readonly MetricsPeriod[]): void {
    this.periods.push(...periods);
  }
  flush(): Promise<void> {
    this.flushes += 1;
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.closes += 1;
    return Promise.resolve();
  }
}

/** Per endpoint: requests, error types and latency count in one period. */
function periodFigures(period: MetricsPeriod) {
  return [...period.endpoints.values()].map(({ endpoint, tally, latency }) => ({
    endpoint,
    requests: tally.requestCount,
    serverErrors: tally.serverErrors,
    byStatus: Object.fromEntries(tally.byStatus),
    errorsByType: Object.fromEntries(tally.errorsByType),
    latencies: latency.totalCount,
  }));
}

function brokenSink(overrides: Partial<MetricsSink>): MetricsSink {
  return { write: () => {}, flush: () => Promise.resolve(), close: () => Promise.resolve(), ...overrides };
}

describe('MetricsRecorder', () => {
  describe('figures per endpoint', () => {
    it('computes p50/p95/p99 from the recorded latencies', () => {
      const { recorder } = createRecorder();
      for (let ms = 1; ms <= 100; ms += 1) recorder.recordRequest(request({ durationMs: ms }));

      const [total] = recorder.snapshot().total;

      // HDR buckets report a bucket's upper edge: within 0.1 % at 3 significant digits.
      expect(total.latency?.p50Ms).toBeCloseTo(50, 1);
      expect(total.latency?.p95Ms).toBeCloseTo(95, 1);
      expect(total.latency?.p99Ms).toBeCloseTo(99, 1);
    });

    it('counts 4xx as success and only 5xx against the success rate', () => {
      const { recorder } = createRecorder();
      recorder.recordRequest(request({ statusCode: 201 }));
      recorder.recordRequest(request({ statusCode: 400, errorType: 'VALIDATION_ERROR' }));
      recorder.recordRequest(request({ statusCode: 404, errorType: 'NOT_FOUND' }));
      recorder.recordRequest(request({ statusCode: 503, errorType: 'SERVICE_UNAVAILABLE' }));

      const [total] = recorder.snapshot().total;

      expect(total).toMatchObject({
        endpoint: 'POST /v1/events',
        requestCount: 4,
        errorCount: 1,
        successRatePercent: 75,
        errorRatePercent: 25,
        errorsByType: { VALIDATION_ERROR: 1, NOT_FOUND: 1, SERVICE_UNAVAILABLE: 1 },
      });
    });

    it('keeps endpoints apart and lists them in name order', () => {
      const { recorder } = createRecorder();
      recorder.recordRequest(request({ endpoint: 'POST /v1/events', durationMs: 5 }));
      recorder.recordRequest(request({ endpoint: 'GET /v1/inbox', durationMs: 50 }));

      const { total } = recorder.snapshot();

      // Rounded to the millisecond: HDR reports a bucket's upper edge.
      expect(total.map((f) => [f.endpoint, f.requestCount, Math.round(f.latency?.p50Ms ?? -1)])).toEqual([
        ['GET /v1/inbox', 1, 50],
        ['POST /v1/events', 1, 5],
      ]);
    });

    it('lists known endpoints before their first request, with the documented empty figures', () => {
      const { recorder } = createRecorder({ knownEndpoints: API_ENDPOINTS });

      const { total, window } = recorder.snapshot();

      expect(total.map((f) => f.endpoint)).toEqual([...API_ENDPOINTS].sort());
      expect(window[0]).toEqual({
        endpoint: 'DELETE /v1/events/{event_id}',
        requestCount: 0,
        errorCount: 0,
        successRatePercent: 100,
        errorRatePercent: 0,
        latency: undefined,
        errorsByType: {},
      });
    });
  });

  describe('recent window', () => {
    it('covers the last windowSeconds while the total keeps everything', () => {
      const { recorder, clock } = createRecorder({ windowSeconds: 10 });
      recorder.recordRequest(request({ durationMs: 500, statusCode: 500 }));
      clock.now += 10_000;
      recorder.recordRequest(request({ durationMs: 20 }));

      const snapshot = recorder.snapshot();

      expect(snapshot.windowSeconds).toBe(10);
      expect(snapshot.window[0]).toMatchObject({ requestCount: 1, errorCount: 0, successRatePercent: 100 });
      expect(snapshot.window[0].latency?.p99Ms).toBeCloseTo(20, 0);
      expect(snapshot.total[0]).toMatchObject({ requestCount: 2, errorCount: 1, successRatePercent: 50 });
    });

    it('still holds a request from windowSeconds - 1 seconds ago', () => {
      const { recorder, clock } = createRecorder({ windowSeconds: 10 });
      recorder.recordRequest(request());
      clock.now += 9_999;

      expect(recorder.snapshot().window[0].requestCount).toBe(1);
    });

    it('reuses its ring: a slot from an earlier lap does not leak into the window', () => {
      const { recorder, clock } = createRecorder({ windowSeconds: 5 });
      recorder.recordRequest(request({ statusCode: 500 }));
      clock.now += 5_000; // same ring slot, next lap
      recorder.recordRequest(request({ statusCode: 200 }));

      expect(recorder.snapshot().window[0]).toMatchObject({ requestCount: 1, errorCount: 0 });
    });

    it('changes nothing when read, however many pollers read it', () => {
      const { recorder } = createRecorder();
      recorder.recordRequest(request());
      recorder.recordEventsIngested(4);

      const first = recorder.snapshot();
      const second = recorder.snapshot();

      expect(second).toEqual(first);
      expect(second.window[0].requestCount).toBe(1);
    });

    it('reports the ingestion rate over the time the window really spans', () => {
      const { recorder, clock } = createRecorder({ windowSeconds: 10 });
      clock.now += 20_000;
      recorder.recordEventsIngested(30);
      clock.now += 2_000;
      recorder.recordEventsIngested(10);
      clock.now += 1_000; // the window now spans 9 whole seconds plus an empty current second

      const { ingestion } = recorder.snapshot();

      expect(ingestion).toEqual({ ratePerSecond: 40 / 9, total: 40 });
    });

    it('divides by the uptime, not the whole window, just after start', () => {
      const { recorder, clock } = createRecorder({ windowSeconds: 10 });
      recorder.recordEventsIngested(20);
      clock.now += 2_000;

      expect(recorder.snapshot().ingestion.ratePerSecond).toBe(10);
    });
  });

  it('counts lookups by method', () => {
    const { recorder } = createRecorder();
    recorder.recordLookup('gsi');
    recorder.recordLookup('scan');
    recorder.recordLookup('gsi');

    expect(recorder.snapshot().lookups).toEqual({ gsi: 2, scan: 1 });
  });

  it('stamps the snapshot with the clock', () => {
    const { recorder } = createRecorder();

    expect(recorder.snapshot().timestamp).toBe('2025-11-11T12:00:00.000Z');
  });

  describe('normalising what it is given', () => {
    it('names a missing error type after the status code', async () => {
      const sink = new CapturingSink();
      const { recorder } = createRecorder({ sink });

      recorder.recordRequest(request({ statusCode: 404 }));
      await recorder.flush();

      expect(periodFigures(sink.periods[0])[0].errorsByType).toEqual({ HTTP_404: 1 });
      expect(recorder.snapshot().total[0].errorsByType).toEqual({ HTTP_404: 1 });
    });

    it('drops an error type given with a success status', async () => {
      const sink = new CapturingSink();
      const { recorder } = createRecorder({ sink });

      recorder.recordRequest(request({ statusCode: 200, errorType: 'CONFLICT' }));
      await recorder.flush();

      expect(periodFigures(sink.periods[0])[0].errorsByType).toEqual({});
      expect(recorder.snapshot().total[0].errorsByType).toEqual({});
    });

    it('folds endpoints past the cap into OTHER', async () => {
      const sink = new CapturingSink();
      const { recorder } = createRecorder({ sink, maxEndpoints: 2 });

      for (const path of ['/a', '/b', '/c', '/d']) recorder.recordRequest(request({ endpoint: `GET ${path}` }));
      await recorder.flush();

      expect(recorder.snapshot().total.map((f) => [f.endpoint, f.requestCount])).toEqual([
        ['GET /a', 1],
        ['GET /b', 1],
        ['OTHER', 2],
      ]);
      expect(periodFigures(sink.periods[0]).map((f) => [f.endpoint, f.requests])).toEqual([
        ['GET /a', 1],
        ['GET /b', 1],
        ['OTHER', 2],
      ]);
    });

    it.each([
      ['NaN', Number.NaN],
      ['negative', -5],
      ['infinite', Number.POSITIVE_INFINITY],
      ['beyond the tracked range', 3_600_000],
    ])('takes a %s duration without throwing', (_case, durationMs) => {
      const { recorder } = createRecorder();

      recorder.recordRequest(request({ durationMs }));

      expect(recorder.snapshot().total[0].requestCount).toBe(1);
      expect(recorder.recordErrorCount).toBe(0);
    });

    it.each([0, -3, Number.NaN])('ignores an ingested count of %p', (count) => {
      const { recorder } = createRecorder();

      recorder.recordEventsIngested(count);

      expect(recorder.snapshot().ingestion.total).toBe(0);
    });

    it('counts an unknown lookup method instead of throwing', () => {
      const { recorder } = createRecorder();

      recorder.recordLookup('index' as never);

      expect(recorder.recordErrorCount).toBe(1);
      expect(recorder.snapshot().lookups).toEqual({ gsi: 0, scan: 0 });
    });
  });

  describe('periods and the sink', () => {
    it('hands the sink one period per minute, oldest first, with everything recorded in it', async () => {
      const sink = new CapturingSink();
      const { recorder, clock } = createRecorder({ sink });

      recorder.recordRequest(request());
      recorder.recordRequest(request({ statusCode: 503, errorType: 'SERVICE_UNAVAILABLE', durationMs: 40 }));
      recorder.recordEventsIngested(3);
      clock.now += 1_000;
      recorder.recordEventsIngested(2);
      recorder.recordLookup('scan');
      clock.now += 60_000;
      recorder.recordRequest(request({ endpoint: 'GET /v1/inbox' }));
      await recorder.flush();

      expect(sink.periods.map((p) => p.startMs)).toEqual([START, START + 60_000]);
      expect(periodFigures(sink.periods[0])).toEqual([
        {
          endpoint: 'POST /v1/events',
          requests: 2,
          serverErrors: 1,
          byStatus: { 201: 1, 503: 1 },
          errorsByType: { SERVICE_UNAVAILABLE: 1 },
          latencies: 2,
        },
      ]);
      expect([...sink.periods[0].ingestedPerSecond.values()]).toEqual([3, 2]);
      expect(sink.periods[0].lookups).toEqual({ gsi: 0, scan: 1 });
      expect(periodFigures(sink.periods[1]).map((f) => [f.endpoint, f.requests])).toEqual([['GET /v1/inbox', 1]]);
      expect(sink.flushes).toBe(1);
    });

    it('hands each period over once', async () => {
      const sink = new CapturingSink();
      const { recorder } = createRecorder({ sink });
      recorder.recordRequest(request());

      await recorder.flush();
      await recorder.flush();

      expect(sink.periods).toHaveLength(1);
    });

    it('hands over only the minutes that ended on its timer, and everything on flush', async () => {
      jest.useFakeTimers({ now: START + 30_000 });
      try {
        const sink = new CapturingSink();
        const recorder = new MetricsRecorder({ sink, flushIntervalMs: 10_000 });
        recorder.recordRequest(request());

        await jest.advanceTimersByTimeAsync(20_000); // 12:00:50
        const beforeMinuteEnd = sink.periods.length;
        recorder.recordRequest(request());
        await jest.advanceTimersByTimeAsync(10_000); // 12:01:00
        recorder.recordRequest(request());
        const afterMinuteEnd = sink.periods.map((p) => p.startMs);
        await recorder.flush();

        expect(beforeMinuteEnd).toBe(0);
        expect(afterMinuteEnd).toEqual([START]);
        expect(sink.periods.map((p) => p.startMs)).toEqual([START, START + 60_000]);
        expect(periodFigures(sink.periods[0])[0].requests).toBe(2);
        await recorder.close();
      } finally {
        jest.useRealTimers();
      }
    });

    it('keeps at most three minutes open: without a flush the oldest goes to the sink as a fourth opens', () => {
      const sink = new CapturingSink();
      const { recorder, clock } = createRecorder({ sink });

      for (let minute = 0; minute < 4; minute += 1) {
        clock.now = START + minute * 60_000;
        recorder.recordRequest(request());
      }

      expect(sink.periods.map((p) => p.startMs)).toEqual([START]);
    });

    it('does not keep the process alive with its timer', async () => {
      const setIntervalSpy = jest.spyOn(globalThis, 'setInterval');
      const { recorder } = createRecorder({ sink: new CapturingSink(), flushIntervalMs: 60_000 });

      const timer = setIntervalSpy.mock.results[0].value as NodeJS.Timeout;
      expect(timer.hasRef()).toBe(false);
      setIntervalSpy.mockRestore();
      await recorder.close();
    });

    it('catches and counts a sink that throws on write, and reports it', async () => {
      const reported: unknown[] = [];
      const sink = brokenSink({
        write: () => {
          throw new Error('boom');
        },
      });
      const { recorder } = createRecorder({ sink, onSinkError: (e) => reported.push(e) });
      recorder.recordRequest(request());

      await expect(recorder.flush()).resolves.toBeUndefined();
      expect(recorder.sinkErrorCount).toBe(1);
      expect(reported).toEqual([new Error('boom')]);
    });

    it('survives an error reporter that throws', async () => {
      const sink = brokenSink({
        write: () => {
          throw new Error('boom');
        },
      });
      const { recorder } = createRecorder({
        sink,
        onSinkError: () => {
          throw new Error('logger down');
        },
      });
      recorder.recordRequest(request());

      await expect(recorder.flush()).resolves.toBeUndefined();
      expect(recorder.sinkErrorCount).toBe(1);
    });

    it.each([
      ['rejects', () => Promise.reject(new Error('down'))],
      [
        'throws',
        () => {
          throw new Error('sync');
        },
      ],
    ])('resolves flush when the sink %s, and counts it', async (_case, flush) => {
      const { recorder } = createRecorder({ sink: brokenSink({ flush }) });

      await expect(recorder.flush()).resolves.toBeUndefined();
      expect(recorder.sinkErrorCount).toBe(1);
    });

    it('closes the sink once, after handing it what was left, and stops feeding it while the snapshot keeps counting', async () => {
      const sink = new CapturingSink();
      const { recorder } = createRecorder({ sink });
      recorder.recordRequest(request());

      await recorder.close();
      await recorder.close();
      recorder.recordRequest(request());
      await recorder.flush();

      expect(sink.closes).toBe(1);
      expect(sink.periods).toHaveLength(1);
      expect(recorder.snapshot().total[0].requestCount).toBe(2);
    });
  });

  it.each([
    [{ windowSeconds: 0 }, /windowSeconds must be an integer between 1 and 3600, got 0/],
    [{ windowSeconds: 2.5 }, /windowSeconds .* got 2.5/],
    [{ maxEndpoints: 0 }, /maxEndpoints .* got 0/],
    [{ sink: new CapturingSink(), flushIntervalMs: -1 }, /flushIntervalMs .* got -1/],
  ])('refuses options %j', (options, message) => {
    expect(() => new MetricsRecorder(options)).toThrow(message);
  });
});
