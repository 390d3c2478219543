import { resolveRun } from '../../scenarios/k6-options';
import {
  DEFAULT_SUMMARY_FILE,
  summaryFiles,
  summaryText,
  toLoadSummary,
  type K6SummaryData,
  type K6SummaryMetric,
  type SummaryContext,
} from '../../scenarios/k6-summary';
import { SCENARIOS } from '../../scenarios/scenarios';
import { SUMMARY_SCHEMA_VERSION } from '../../scenarios/summary-format';
import { parseSummary } from '../../src/summary-schema';

const POST = 'POST /v1/events';
const INBOX = 'GET /v1/inbox';
const ACK = 'POST /v1/events/{event_id}/ack';

const counter = (count: number, seconds = 61.2): K6SummaryMetric => ({
  type: 'counter',
  contains: 'default',
  values: { count, rate: count / seconds },
});

const rate = (passes: number, fails: number, thresholds?: Record<string, { ok: boolean }>): K6SummaryMetric => ({
  type: 'rate',
  contains: 'default',
  values: { rate: passes / (passes + fails || 1), passes, fails },
  ...(thresholds && { thresholds }),
});

const trend = (
  figures: { med: number; p95: number; p99: number; max: number; count: number },
  thresholds?: Record<string, { ok: boolean }>,
): K6SummaryMetric => ({
  type: 'trend',
  contains: 'time',
  values: {
    avg: figures.med * 1.1,
    min: 0.4,
    med: figures.med,
    max: figures.max,
    'p(50)': figures.med,
    'p(95)': figures.p95,
    'p(99)': figures.p99,
    count: figures.count,
  },
  ...(thresholds && { thresholds }),
});

/** What k6 passes to handleSummary after a 60 s inbox_polling run, shaped as k6 1.x builds it. */
function inboxPollingData(): K6SummaryData & Record<string, unknown> {
  return {
    root_group: { name: '', path: '', id: 'd41d8cd98f00b204e9800998ecf8427e', groups: [], checks: [] },
    options: { summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(50)', 'p(95)', 'p(99)', 'count'], noColor: false },
    state: { isStdOutTTY: false, isStdErrTTY: false, testRunDurationMs: 61234.4 },
    metrics: {
      iterations: counter(12600),
      dropped_iterations: { ...counter(4), thresholds: { 'count==0': { ok: false } } },
      events_accepted: counter(11990),
      http_reqs: counter(17602),
      vus: { type: 'gauge', contains: 'default', values: { value: 3, min: 1, max: 40 } },
      data_sent: { type: 'counter', contains: 'data', values: { count: 5123456, rate: 83700 } },
      checks: rate(17500, 100),
      http_req_failed: rate(12, 17590, { 'rate<0.001': { ok: true } }),
      http_req_duration: trend({ med: 3, p95: 40, p99: 90, max: 800, count: 17602 }),
      'http_req_duration{expected_response:true}': trend({ med: 3, p95: 39, p99: 88, max: 700, count: 17590 }),
      // POST /v1/events: 12,000 requests, 10 of them 503 (failed), 11,990 accepted.
      [`http_reqs{endpoint:${POST}}`]: { ...counter(12000), thresholds: { 'count>0': { ok: true } } },
      [`http_req_failed{endpoint:${POST}}`]: rate(10, 11990, { 'rate<0.001': { ok: true } }),
      [`http_req_duration{endpoint:${POST}}`]: trend(
        { med: 2.5, p95: 12.25, p99: 30.5, max: 310, count: 12000 },
        { 'p(95)<100': { ok: true } },
      ),
      [`http_reqs{endpoint:${POST},status:201}`]: counter(11990),
      [`http_reqs{endpoint:${POST},status:503}`]: counter(10),
      [`http_reqs{endpoint:${POST},status:400}`]: counter(0),
      // GET /v1/inbox: 600 polls, 2 without a response, one status nobody declared (418).
      [`http_reqs{endpoint:${INBOX}}`]: { ...counter(600), thresholds: { 'count>0': { ok: true } } },
      [`http_req_failed{endpoint:${INBOX}}`]: rate(2, 598, { 'rate<0.001': { ok: false } }),
      [`http_req_duration{endpoint:${INBOX}}`]: trend(
        { med: 20, p95: 150.5, p99: 240, max: 900, count: 600 },
        { 'p(95)<200': { ok: true } },
      ),
      [`http_reqs{endpoint:${INBOX},status:200}`]: counter(597),
      [`http_reqs{endpoint:${INBOX},status:0}`]: counter(2),
      // Acks: 5,000, of which 1,000 were 409 (another consumer was first), no failures.
      [`http_reqs{endpoint:${ACK}}`]: { ...counter(5000), thresholds: { 'count>0': { ok: true } } },
      [`http_req_failed{endpoint:${ACK}}`]: rate(0, 5000, { 'rate<0.001': { ok: true } }),
      [`http_req_duration{endpoint:${ACK}}`]: trend({ med: 4, p95: 15, p99: 22, max: 60, count: 5000 }),
      [`http_reqs{endpoint:${ACK},status:200}`]: counter(4000),
      [`http_reqs{endpoint:${ACK},status:409}`]: counter(1000),
    },
    setup_data: undefined,
  };
}

const endedAt = new Date('2026-03-01T10:01:01.234Z');
const context: SummaryContext = {
  run: resolveRun(SCENARIOS.inbox_polling, {}),
  target: 'http://127.0.0.1:3000',
  endedAt,
  kneeLimits: { p95TargetMs: 100, maxFailureRate: 0.001 },
};

describe('toLoadSummary', () => {
  const summary = toLoadSummary(inboxPollingData(), context);

  it('identifies the run', () => {
    expect(summary).toMatchObject({
      schemaVersion: SUMMARY_SCHEMA_VERSION,
      scenario: 'inbox_polling',
      generator: 'k6',
      target: 'http://127.0.0.1:3000',
      durationSeconds: 60,
      expectedEndpoints: [POST, INBOX, ACK],
    });
  });

  it('dates the start testRunDurationMs before the end', () => {
    expect(summary.startedAt).toBe('2026-03-01T10:00:00.000Z');
  });

  it('takes p50, p95, p99 and max per endpoint from its duration sub-metric', () => {
    expect(summary.endpoints[POST]?.latency).toEqual({ p50Ms: 2.5, p95Ms: 12.25, p99Ms: 30.5, maxMs: 310 });
    expect(summary.endpoints[INBOX]?.latency).toEqual({ p50Ms: 20, p95Ms: 150.5, p99Ms: 240, maxMs: 900 });
  });

  it('counts an endpoint’s failures from the failed requests of http_req_failed', () => {
    expect(summary.endpoints[POST]).toMatchObject({ requests: 12000, failed: 10, successRate: 11990 / 12000 });
    expect(summary.endpoints[ACK]).toMatchObject({ requests: 5000, failed: 0, successRate: 1 });
  });

  it('counts responses by status, with undeclared statuses as other', () => {
    expect(summary.endpoints[POST]?.byStatus).toEqual({ '201': 11990, '503': 10 });
    expect(summary.endpoints[INBOX]?.byStatus).toEqual({ '0': 2, '200': 597, other: 1 });
  });

  it('adds up the endpoints for the totals', () => {
    expect(summary.requests).toEqual({
      total: 17600,
      failed: 12,
      successRate: (17600 - 12) / 17600,
      ratePerSecond: 17600 / 60,
      byStatus: { '0': 2, '200': 4597, '201': 11990, '409': 1000, '503': 10, other: 1 },
    });
  });

  it('reports iterations started and dropped', () => {
    expect(summary.iterations).toEqual({ started: 12600, dropped: 4 });
  });

  it('reports events accepted per second of the scheduled run', () => {
    expect(summary.eventsAccepted).toEqual({ count: 11990, ratePerSecond: 11990 / 60 });
  });

  it('reports the peak rate of all traffic parts together', () => {
    expect(summary.requestedRate).toBe(210);
  });

  it('reports an endpoint without samples as 0 requests and no latency', () => {
    const data = inboxPollingData();
    for (const metric of Object.keys(data.metrics)) {
      if (metric.includes(`endpoint:${ACK}`)) data.metrics[metric] = { ...data.metrics[metric]!, values: {} };
    }
    expect(toLoadSummary(data, context).endpoints[ACK]).toEqual({
      requests: 0,
      failed: 0,
      successRate: 0,
      byStatus: {},
    });
  });

  it('reports 0 dropped when k6 recorded no dropped_iterations metric', () => {
    const data = inboxPollingData();
    delete data.metrics.dropped_iterations;
    expect(toLoadSummary(data, context).iterations.dropped).toBe(0);
  });

  it('takes the peak of a ramp and the scaled rates of a RATE override', () => {
    const stress = toLoadSummary(inboxPollingData(), { ...context, run: resolveRun(SCENARIOS.stress_test, {}) });
    expect(stress.requestedRate).toBe(3000);
    const scaled = toLoadSummary(inboxPollingData(), {
      ...context,
      run: resolveRun(SCENARIOS.inbox_polling, { RATE: '400', DURATION: '30s' }),
    });
    expect(scaled).toMatchObject({ requestedRate: 420, durationSeconds: 30 });
    expect(scaled.eventsAccepted.ratePerSecond).toBe(11990 / 30);
  });
});

describe('summaryFiles', () => {
  it('writes the summary JSON to load-summary.json and a text overview to stdout', () => {
    const files = summaryFiles(inboxPollingData(), context, {});
    expect(Object.keys(files).sort()).toEqual([DEFAULT_SUMMARY_FILE, 'stdout']);
    expect(JSON.parse(files[DEFAULT_SUMMARY_FILE])).toEqual(
      JSON.parse(JSON.stringify(toLoadSummary(inboxPollingData(), context))),
    );
  });

  it('writes the summary where SUMMARY_FILE says', () => {
    const files = summaryFiles(inboxPollingData(), context, { SUMMARY_FILE: 'out/k6-inbox.json' });
    expect(files).toHaveProperty(['out/k6-inbox.json']);
    expect(files).not.toHaveProperty([DEFAULT_SUMMARY_FILE]);
  });
});

describe('summaryText', () => {
  const data = inboxPollingData();
  const text = summaryText(toLoadSummary(data, context), data);

  it('lists every endpoint with its percentiles', () => {
    expect(text).toMatch(/POST \/v1\/events +12000 +10 +99\.917 % +2\.50 +12\.25 +30\.50 +310\.00/);
    expect(text).toContain('GET /v1/inbox');
    expect(text).toContain('POST /v1/events/{event_id}/ack');
  });

  it('names the thresholds that failed', () => {
    expect(text).toContain('2 of 10 failed');
    expect(text).toContain('FAILED dropped_iterations: count==0');
    expect(text).toContain(`FAILED http_req_failed{endpoint:${INBOX}}: rate<0.001`);
  });

  it('says so when every threshold passed', () => {
    const passing = inboxPollingData();
    for (const metric of Object.values(passing.metrics)) {
      for (const result of Object.values(metric?.thresholds ?? {})) result.ok = true;
    }
    expect(summaryText(toLoadSummary(passing, context), passing)).toContain('all 10 passed');
  });
});

describe('the timeline and the knee from per-window sub-metrics', () => {
  // stress_test at a 300/s peak for 15 s: the ramp asks for about 333, 800 and 1,267 iterations in its
  // three 5-second windows.
  const stressRun = resolveRun(SCENARIOS.stress_test, { RATE: '300', DURATION: '15s' });
  const stressContext: SummaryContext = { ...context, run: stressRun, machineClass: 'linux-x64-2cpu-8gb' };

  interface WindowFigures {
    iterations: number;
    failed?: number;
    p95: number;
  }

  /** k6's data for the stress run: whole-run metrics plus the per-window sub-metrics, as k6 1.x reports them. */
  function stressData(windows: WindowFigures[], dropped = 0): K6SummaryData {
    const metrics: Record<string, K6SummaryMetric> = {};
    windows.forEach((w, index) => {
      const start = index * 5;
      const failed = w.failed ?? 0;
      metrics[`http_reqs{window:${start}}`] = counter(w.iterations);
      metrics[`iterations{window:${start}}`] = counter(w.iterations);
      metrics[`events_accepted{window:${start}}`] = counter(w.iterations - failed);
      metrics[`http_req_failed{window:${start}}`] = rate(failed, w.iterations - failed);
      metrics[`http_req_duration{window:${start}}`] = trend({
        med: w.p95 / 4,
        p95: w.p95,
        p99: w.p95 * 1.5,
        max: w.p95 * 2,
        count: w.iterations,
      });
    });
    const total = windows.reduce((sum, w) => sum + w.iterations, 0);
    const failed = windows.reduce((sum, w) => sum + (w.failed ?? 0), 0);
    return {
      state: { testRunDurationMs: 16_000 },
      metrics: {
        ...metrics,
        iterations: counter(total),
        dropped_iterations: counter(dropped),
        events_accepted: counter(total - failed),
        [`http_reqs{endpoint:${POST}}`]: counter(total),
        [`http_req_failed{endpoint:${POST}}`]: rate(failed, total - failed),
        [`http_req_duration{endpoint:${POST}}`]: trend({ med: 5, p95: 90, p99: 200, max: 400, count: total }),
      },
    };
  }

  const healthy: WindowFigures[] = [
    { iterations: 333, p95: 20 },
    { iterations: 800, p95: 40 },
    { iterations: 1267, p95: 80 },
  ];

  it('has a point per 5-second window with the rate asked, the iterations, requests and latency of each', () => {
    const summary = toLoadSummary(stressData(healthy), stressContext);

    expect(summary.timeline).toHaveLength(3);
    expect(summary.timeline?.map((point) => [point.t, point.lengthSeconds, point.iterations])).toEqual([
      [0, 5, 333],
      [5, 5, 800],
      [10, 5, 1267],
    ]);
    expect(summary.timeline?.map((point) => Math.round(point.targetRate))).toEqual([67, 160, 253]);
    expect(summary.timeline?.[1]).toMatchObject({
      requests: 800,
      failed: 0,
      eventsAccepted: 800,
      dropped: 0,
      latency: { p50Ms: 10, p95Ms: 40, p99Ms: 60, maxMs: 80 },
    });
  });

  it('records "measured, none found" as a null knee when every window held', () => {
    expect(toLoadSummary(stressData(healthy), stressContext).knee).toBeNull();
  });

  it('puts the knee at the first window whose p95 breaks the target, with the local runner’s rule', () => {
    const slow = [healthy[0], { iterations: 800, p95: 150 }, { iterations: 1267, p95: 900 }];

    expect(toLoadSummary(stressData(slow), stressContext).knee).toEqual({
      atSeconds: 5,
      targetRate: Math.round(20 + (280 * 5.5) / 15),
      achievedRate: 160,
      reason: 'p95 150.0 ms > 100 ms',
    });
  });

  it('puts the knee where failures pass the error budget', () => {
    const failing = [healthy[0], healthy[1], { iterations: 1267, failed: 13, p95: 60 }];

    expect(toLoadSummary(stressData(failing), stressContext).knee).toMatchObject({
      atSeconds: 10,
      reason: '1.03 % failed > 0.1 %',
    });
  });

  it('spreads dropped iterations over the windows that fell short of their schedule, adding up to k6’s count', () => {
    const short = [healthy[0], healthy[1], { iterations: 1237, p95: 60 }];

    const summary = toLoadSummary(stressData(short, 30), stressContext);

    expect(summary.timeline?.map((point) => point.dropped)).toEqual([0, 0, 30]);
    expect(summary.iterations.dropped).toBe(30);
    expect(summary.knee).toMatchObject({ atSeconds: 10, reason: 'about 30 iterations dropped' });
  });

  it('counts no dropped iterations in a window that only started late, when k6 dropped none', () => {
    const late = [{ iterations: 330, p95: 20 }, { iterations: 803, p95: 40 }, healthy[2]];

    const summary = toLoadSummary(stressData(late, 0), stressContext);

    expect(summary.timeline?.map((point) => point.dropped)).toEqual([0, 0, 0]);
    expect(summary.knee).toBeNull();
  });

  it('has no timeline and leaves the knee unmeasured when the data has no per-window figures', () => {
    const data = stressData(healthy);
    for (const metric of Object.keys(data.metrics)) if (metric.includes('{window:')) delete data.metrics[metric];

    const summary = toLoadSummary(data, stressContext);

    expect(summary).not.toHaveProperty('timeline');
    expect(summary).not.toHaveProperty('knee');
  });

  it('looks for no knee in a scenario that does not ramp, but keeps its timeline', () => {
    const summary = toLoadSummary(stressData(healthy), {
      ...stressContext,
      run: resolveRun(SCENARIOS.event_ingestion, { RATE: '200', DURATION: '15s' }),
    });

    expect(summary.timeline).toHaveLength(3);
    expect(summary).not.toHaveProperty('knee');
  });

  it('records the target as a given URL and the machine class the environment named', () => {
    const summary = toLoadSummary(stressData(healthy), stressContext);

    expect(summary).toMatchObject({ targetKind: 'given-url', machineClass: 'linux-x64-2cpu-8gb' });
    expect(toLoadSummary(stressData(healthy), { ...stressContext, machineClass: undefined })).not.toHaveProperty(
      'machineClass',
    );
  });

  it('writes a summary the schema accepts', () => {
    const summary = toLoadSummary(stressData(healthy, 3), stressContext);

    expect(() => parseSummary(JSON.parse(JSON.stringify(summary)), 'k6.json')).not.toThrow();
  });
});
