import { RunRecorder } from '../../src/runner/run-recorder';

const START = 10_000;
const LIMITS = { p95TargetMs: 100, maxFailureRate: 0.001 };

function recorderWith(seconds: number, perSecond: (t: number) => { latencyMs: number; status: number; n: number }) {
  const recorder = new RunRecorder(START, seconds, () => 100);
  for (let t = 0; t < seconds; t++) {
    const { latencyMs, status, n } = perSecond(t);
    for (let i = 0; i < n; i++) {
      const dueAt = START + t * 1000 + i;
      recorder.iterationStarted(dueAt);
      recorder.record({
        endpoint: 'POST /v1/events',
        status,
        dueAt,
        doneAt: dueAt + latencyMs,
        accepted: status === 201 ? 1 : 0,
      });
    }
  }
  return recorder;
}

describe('RunRecorder', () => {
  it('counts requests per endpoint and per second, in the second they were due', () => {
    const recorder = recorderWith(3, (t) => ({ latencyMs: 10 * (t + 1), status: 201, n: 50 }));
    const timeline = recorder.timeline();
    expect(timeline.map((p) => p.requests)).toEqual([50, 50, 50]);
    expect(timeline.map((p) => Math.round(p.latency?.p50Ms ?? 0))).toEqual([10, 20, 30]);
    expect(recorder.endpointSummaries()['POST /v1/events']).toMatchObject({ requests: 150, failed: 0, successRate: 1 });
  });

  it('counts 5xx and missing responses as failed, 4xx as answered', () => {
    const recorder = new RunRecorder(START, 1, () => 1);
    for (const status of [201, 404, 409, 500, 503, 0]) {
      recorder.record({
        endpoint: 'POST /v1/events',
        status,
        dueAt: START,
        doneAt: START + 1,
        accepted: status === 201 ? 1 : 0,
      });
    }
    expect(recorder.endpointSummaries()['POST /v1/events']).toMatchObject({ requests: 6, failed: 3, successRate: 0.5 });
    expect(recorder.byStatus()).toEqual({ '0': 1, '201': 1, '404': 1, '409': 1, '500': 1, '503': 1 });
  });

  it('finds no knee while p95, failures and dropped iterations hold', () => {
    expect(recorderWith(20, () => ({ latencyMs: 20, status: 201, n: 40 })).knee(LIMITS)).toBeNull();
  });

  it('puts the knee at the first 5-second window whose p95 breaks the target', () => {
    const recorder = recorderWith(20, (t) => ({ latencyMs: t >= 12 ? 250 : 20, status: 201, n: 40 }));
    expect(recorder.knee(LIMITS)).toEqual({
      atSeconds: 8,
      targetRate: 100,
      achievedRate: 40,
      reason: expect.stringMatching(/^p95 250\.\d ms > 100 ms$/),
    });
  });

  it('puts the knee where failures or dropped iterations start', () => {
    const failing = recorderWith(10, (t) => ({ latencyMs: 5, status: t === 6 ? 503 : 201, n: 40 }));
    expect(failing.knee(LIMITS)).toMatchObject({ atSeconds: 2, reason: expect.stringContaining('% failed') });
    const dropping = recorderWith(10, () => ({ latencyMs: 5, status: 201, n: 40 }));
    dropping.iterationDropped(START + 7_500);
    expect(dropping.knee(LIMITS)).toMatchObject({ atSeconds: 3, reason: '1 iterations dropped' });
  });
});
