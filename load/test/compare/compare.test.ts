import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SLO_SPEC, type SloSpec } from '../../../contract/slo-spec';
import { SCENARIOS, type ScenarioName } from '../../scenarios/scenarios';
import type { EndpointSummary, Knee, LoadSummary } from '../../scenarios/summary-format';
import { runCompareCli } from '../../src/compare/cli';
import {
  DEFAULT_TOLERANCES,
  ScenarioMismatchError,
  compareRun,
  type Verdict,
  type VerdictRow,
} from '../../src/compare/compare';
import { renderVerdictMarkdown } from '../../src/compare/markdown';

interface EndpointShape {
  requests?: number;
  failed?: number;
  /** Undefined leaves the latency out, as a generator does for an endpoint without responses. */
  p95Ms?: number | undefined;
}

interface RunShape {
  scenario?: ScenarioName;
  generator?: LoadSummary['generator'];
  /** Per endpoint of the scenario; any left out gets 60,000 requests, none failed, p95 20 ms. */
  endpoints?: Record<string, EndpointShape>;
  requestsPerSecond?: number;
  eventsPerSecond?: number;
  dropped?: number;
  expectedEndpoints?: string[];
  knee?: Knee | null;
  requestedRate?: number;
  /** Undefined leaves the field out, as summaries written before it was recorded do. */
  targetKind?: LoadSummary['targetKind'];
  machineClass?: string | undefined;
  startedAt?: string;
}

const MACHINE = 'linux-x64-8cpu-16gb';

const DURATION_SECONDS = 60;

/** A consistent summary of a 60 s run: totals, rates and success rates follow from the per-endpoint figures. */
function makeSummary(shape: RunShape = {}): LoadSummary {
  const scenario = shape.scenario ?? 'event_ingestion';
  const endpoints: Record<string, EndpointSummary> = {};
  for (const name of SCENARIOS[scenario].endpoints) {
    const given = shape.endpoints?.[name] ?? {};
    const requests = given.requests ?? 60000;
    const failed = given.failed ?? 0;
    const p95Ms = 'p95Ms' in given ? given.p95Ms : 20;
    endpoints[name] = {
      requests,
      failed,
      successRate: requests > 0 ? (requests - failed) / requests : 0,
      ...(p95Ms !== undefined && { latency: { p50Ms: p95Ms / 2, p95Ms, p99Ms: p95Ms * 1.5, maxMs: p95Ms * 3 } }),
      byStatus: { '201': requests - failed, ...(failed > 0 && { '503': failed }) },
    };
  }
  const total = Object.values(endpoints).reduce((sum, endpoint) => sum + endpoint.requests, 0);
  const failed = Object.values(endpoints).reduce((sum, endpoint) => sum + endpoint.failed, 0);
  const created = endpoints['POST /v1/events'];
  const eventsAccepted = created ? created.requests - created.failed : 0;
  return {
    schemaVersion: 1,
    scenario,
    generator: shape.generator ?? 'local-runner',
    target: 'http://127.0.0.1:3000',
    ...comparability(shape),
    startedAt: shape.startedAt ?? '2025-06-01T12:00:00.000Z',
    durationSeconds: DURATION_SECONDS,
    requestedRate: shape.requestedRate ?? 1000,
    iterations: { started: total, dropped: shape.dropped ?? 0 },
    requests: {
      total,
      failed,
      successRate: total > 0 ? (total - failed) / total : 0,
      ratePerSecond: shape.requestsPerSecond ?? total / DURATION_SECONDS,
      byStatus: { '201': total - failed },
    },
    eventsAccepted: {
      count: eventsAccepted,
      ratePerSecond: shape.eventsPerSecond ?? eventsAccepted / DURATION_SECONDS,
    },
    endpoints,
    expectedEndpoints: shape.expectedEndpoints ?? [...SCENARIOS[scenario].endpoints],
    ...(shape.knee !== undefined && { knee: shape.knee }),
  };
}

/** A run of the local runner against the API it started, on MACHINE, unless the shape says otherwise. */
function comparability(shape: RunShape): Pick<LoadSummary, 'targetKind' | 'machineClass'> {
  const targetKind = 'targetKind' in shape ? shape.targetKind : 'started-by-runner';
  const machineClass = 'machineClass' in shape ? shape.machineClass : MACHINE;
  return { ...(targetKind && { targetKind }), ...(machineClass !== undefined && { machineClass }) };
}

function row(verdict: Verdict, metric: string): VerdictRow {
  const found = verdict.rows.find((candidate) => candidate.metric === metric);
  if (!found) throw new Error(`no row ${metric} in ${verdict.rows.map((candidate) => candidate.metric).join(', ')}`);
  return found;
}

function failedMetrics(verdict: Verdict): string[] {
  return verdict.rows.filter((candidate) => candidate.gated && !candidate.ok).map((candidate) => candidate.metric);
}

const knee = (achievedRate: number): Knee => ({
  atSeconds: 40,
  targetRate: 1500,
  achievedRate,
  reason: 'p95 > 100 ms',
});

describe('compareRun', () => {
  it('passes a run within every tolerance of its baseline', () => {
    const baseline = makeSummary({ endpoints: { 'POST /v1/events': { p95Ms: 40 } } });
    const current = makeSummary({
      endpoints: { 'POST /v1/events': { p95Ms: 45, requests: 60000, failed: 30 } },
      requestsPerSecond: 950,
      eventsPerSecond: 1000,
    });

    const verdict = compareRun(current, baseline);

    expect(failedMetrics(verdict)).toEqual([]);
    expect(verdict.pass).toBe(true);
    expect(row(verdict, 'POST /v1/events p95 vs baseline')).toMatchObject({ baseline: 40, current: 45, ok: true });
  });

  it('fails when an endpoint p95 grows beyond the tolerance', () => {
    const baseline = makeSummary({ endpoints: { 'POST /v1/events': { p95Ms: 40 } } });
    const current = makeSummary({ endpoints: { 'POST /v1/events': { p95Ms: 47 } } });

    const verdict = compareRun(current, baseline);

    expect(verdict.pass).toBe(false);
    expect(failedMetrics(verdict)).toEqual(['POST /v1/events p95 vs baseline']);
    expect(row(verdict, 'POST /v1/events p95 vs baseline')).toMatchObject({
      delta: { absolute: 7, percent: 17.5 },
      allowed: { comparator: '≤', value: 46, basis: '+15 %' },
    });
  });

  it('takes the p95 tolerance from the options', () => {
    const baseline = makeSummary({ endpoints: { 'POST /v1/events': { p95Ms: 40 } } });
    const current = makeSummary({ endpoints: { 'POST /v1/events': { p95Ms: 47 } } });

    expect(compareRun(current, baseline, { tolerances: { p95IncreasePercent: 20 } }).pass).toBe(true);
  });

  describe('the p95 floor', () => {
    const baseline = makeSummary({ endpoints: { 'POST /v1/events': { p95Ms: 1 } } });

    it('passes a 1 ms -> 1.3 ms change as jitter, saying so', () => {
      const verdict = compareRun(makeSummary({ endpoints: { 'POST /v1/events': { p95Ms: 1.3 } } }), baseline);

      expect(verdict.pass).toBe(true);
      expect(row(verdict, 'POST /v1/events p95 vs baseline')).toMatchObject({
        ok: true,
        allowed: { value: 3, basis: '+2 ms floor' },
        note: expect.stringContaining('less than the 2 ms floor'),
      });
    });

    it('fails the same change when the floor is 0', () => {
      const current = makeSummary({ endpoints: { 'POST /v1/events': { p95Ms: 1.3 } } });

      const verdict = compareRun(current, baseline, { tolerances: { p95FloorMillis: 0 } });

      expect(failedMetrics(verdict)).toEqual(['POST /v1/events p95 vs baseline']);
    });

    it('fails a change beyond the floor', () => {
      const verdict = compareRun(makeSummary({ endpoints: { 'POST /v1/events': { p95Ms: 3.5 } } }), baseline);

      expect(failedMetrics(verdict)).toEqual(['POST /v1/events p95 vs baseline']);
    });
  });

  // inbox_polling: its throughput is not held to the ingestion objective, so only the relative gate can fail.
  describe.each([
    ['requests/s vs baseline', { requestsPerSecond: 850 }],
    ['events accepted/s vs baseline', { eventsPerSecond: 850 }],
  ])('%s', (metric, drop) => {
    const baseline = makeSummary({ scenario: 'inbox_polling', requestsPerSecond: 1000, eventsPerSecond: 1000 });

    it('fails on a drop of more than 10 %', () => {
      const current = makeSummary({
        scenario: 'inbox_polling',
        requestsPerSecond: 1000,
        eventsPerSecond: 1000,
        ...drop,
      });

      const verdict = compareRun(current, baseline);

      expect(failedMetrics(verdict)).toEqual([metric]);
      expect(row(verdict, metric)).toMatchObject({ baseline: 1000, current: 850, delta: { percent: -15 } });
    });

    it('passes a drop within the --throughput-tolerance given', () => {
      const current = makeSummary({
        scenario: 'inbox_polling',
        requestsPerSecond: 1000,
        eventsPerSecond: 1000,
        ...drop,
      });

      expect(compareRun(current, baseline, { tolerances: { throughputDropPercent: 20 } }).pass).toBe(true);
    });
  });

  it('fails when a success rate drops by more than 0.1 percentage point', () => {
    const baseline = makeSummary({ scenario: 'mixed_workload' });
    const current = makeSummary({ scenario: 'mixed_workload', endpoints: { 'GET /v1/inbox': { failed: 120 } } });

    const verdict = compareRun(current, baseline, { spec: { ...SLO_SPEC, successRate: [] } });

    expect(failedMetrics(verdict)).toEqual(['GET /v1/inbox success rate vs baseline']);
    expect(row(verdict, 'GET /v1/inbox success rate vs baseline').allowed?.value).toBeCloseTo(0.999, 12);
  });

  describe('absolute gates, without a baseline', () => {
    it.each<[string, RunShape, string]>([
      ['a p95 over its target', { endpoints: { 'POST /v1/events': { p95Ms: 100 } } }, 'POST /v1/events p95'],
      [
        'a success rate under its objective',
        { endpoints: { 'POST /v1/events': { failed: 61 } } },
        'POST /v1/events success rate',
      ],
      ['ingestion under 1,000 events/s', { eventsPerSecond: 999 }, 'events accepted/s'],
    ])('fails on %s', (_case, shape, metric) => {
      const verdict = compareRun(makeSummary(shape), undefined);

      expect(verdict.pass).toBe(false);
      expect(failedMetrics(verdict)).toContain(metric);
      expect(verdict.rows.every((candidate) => candidate.baseline === undefined)).toBe(true);
    });

    it('fails when the error rate across endpoints exceeds the maximum', () => {
      const spec: SloSpec = { ...SLO_SPEC, successRate: [] };
      const current = makeSummary({ scenario: 'mixed_workload', endpoints: { 'GET /v1/inbox': { failed: 241 } } });

      expect(failedMetrics(compareRun(current, undefined, { spec }))).toEqual(['error rate (5xx or no response)']);
    });

    it('meets a 99.9 % objective with exactly 999 of 1,000 requests successful', () => {
      const current = makeSummary({
        endpoints: { 'POST /v1/events': { requests: 60000, failed: 60 } },
        eventsPerSecond: 1000,
      });

      expect(row(compareRun(current, undefined), 'POST /v1/events success rate').ok).toBe(true);
    });

    it('holds a batch run to the ingestion objective in events: 100 batches of 10 a second ask for 1,000/s', () => {
      const meets = compareRun(
        makeSummary({ scenario: 'batch_ingestion', requestedRate: 100, eventsPerSecond: 1000 }),
        undefined,
      );
      const misses = compareRun(
        makeSummary({ scenario: 'batch_ingestion', requestedRate: 100, eventsPerSecond: 900 }),
        undefined,
      );
      const slow = compareRun(
        makeSummary({ scenario: 'batch_ingestion', requestedRate: 5, eventsPerSecond: 50 }),
        undefined,
      );

      expect(row(meets, 'events accepted/s')).toMatchObject({ gated: true, ok: true });
      expect(row(misses, 'events accepted/s')).toMatchObject({ gated: true, ok: false });
      expect(row(slow, 'events accepted/s')).toMatchObject({
        gated: false,
        note: "not gated: the run asked for 50 events/s, below the objective's 1,000/s",
      });
    });

    it('reads the targets from the SLO spec it is given', () => {
      const spec: SloSpec = {
        ...SLO_SPEC,
        latency: [{ endpoint: 'POST /v1/events', percentile: 'p95', targetInMillis: 15 }],
      };

      const verdict = compareRun(makeSummary(), undefined, { spec });

      expect(row(verdict, 'POST /v1/events p95')).toMatchObject({ ok: false, allowed: { value: 15 } });
    });

    it('does not gate ingestion throughput when the run asked for less than the objective, saying why', () => {
      const verdict = compareRun(makeSummary({ requestedRate: 50, eventsPerSecond: 50 }), undefined);

      expect(verdict.pass).toBe(true);
      expect(row(verdict, 'events accepted/s')).toMatchObject({
        current: 50,
        gated: false,
        note: "not gated: the run asked for 50 events/s, below the objective's 1,000/s",
      });
      expect(renderVerdictMarkdown(verdict)).toContain(
        '| events accepted/s | — | 50.0/s | — | ≥ 1,000.0/s (SLO) | ➖ not gated |',
      );
    });

    it('gates ingestion throughput only in event_ingestion', () => {
      const verdict = compareRun(makeSummary({ scenario: 'inbox_polling', eventsPerSecond: 200 }), undefined);

      expect(verdict.rows.map((candidate) => candidate.metric)).not.toContain('events accepted/s');
      expect(verdict.pass).toBe(true);
    });
  });

  describe('metrics without samples', () => {
    it('fails when an expected endpoint got no requests', () => {
      const current = makeSummary({
        scenario: 'mixed_workload',
        endpoints: { 'DELETE /v1/events/{event_id}': { requests: 0, p95Ms: undefined } },
        requestsPerSecond: 4000,
      });

      const verdict = compareRun(current, makeSummary({ scenario: 'mixed_workload' }));

      expect(verdict.pass).toBe(false);
      expect(failedMetrics(verdict)).toEqual([
        'DELETE /v1/events/{event_id} requests',
        'DELETE /v1/events/{event_id} success rate',
        'DELETE /v1/events/{event_id} p95 vs baseline',
        'DELETE /v1/events/{event_id} success rate vs baseline',
      ]);
      expect(row(verdict, 'DELETE /v1/events/{event_id} requests').note).toMatch(/^no samples/);
    });

    it('fails the p95 objective when an endpoint has requests but no latency', () => {
      const current = makeSummary({ endpoints: { 'POST /v1/events': { p95Ms: undefined } } });

      const verdict = compareRun(current, undefined);

      expect(row(verdict, 'POST /v1/events p95')).toMatchObject({ ok: false, gated: true });
      expect(row(verdict, 'POST /v1/events p95').current).toBeUndefined();
    });

    it("holds the scenario's endpoints to samples even when the summary lists none", () => {
      const current = makeSummary({
        scenario: 'inbox_polling',
        expectedEndpoints: [],
        endpoints: { 'GET /v1/inbox': { requests: 0, p95Ms: undefined } },
      });

      expect(failedMetrics(compareRun(current, undefined))).toContain('GET /v1/inbox requests');
    });
  });

  describe('dropped iterations', () => {
    it('fails a run that dropped one iteration', () => {
      const verdict = compareRun(makeSummary({ dropped: 1 }), undefined);

      expect(failedMetrics(verdict)).toEqual(['dropped iterations']);
      expect(row(verdict, 'dropped iterations').note).toContain('1 of 60,001 due iterations were dropped');
    });

    it('passes dropped iterations within the tolerance given', () => {
      const verdict = compareRun(makeSummary({ dropped: 60 }), undefined, {
        tolerances: { droppedIterationsPercent: 0.1 },
      });

      expect(verdict.pass).toBe(true);
    });
  });

  it('throws a ScenarioMismatchError when the baseline is for another scenario', () => {
    const compare = (): Verdict => compareRun(makeSummary(), makeSummary({ scenario: 'inbox_polling' }));

    expect(compare).toThrow(ScenarioMismatchError);
    expect(compare).toThrow('the baseline is a inbox_polling run but the summary is a event_ingestion run');
  });

  describe('stress_test', () => {
    const overloaded: RunShape = {
      scenario: 'stress_test',
      endpoints: { 'POST /v1/events': { p95Ms: 900, failed: 600 } },
      dropped: 5000,
      requestedRate: 3000,
    };

    it('shows the whole-run SLO figures past the knee without gating them', () => {
      const verdict = compareRun(makeSummary({ ...overloaded, knee: knee(1800) }), undefined);

      expect(verdict.pass).toBe(true);
      expect(row(verdict, 'POST /v1/events p95')).toMatchObject({ ok: false, gated: false });
      expect(row(verdict, 'dropped iterations')).toMatchObject({ ok: false, gated: false });
    });

    it('fails when the knee comes before the ingestion objective', () => {
      const verdict = compareRun(makeSummary({ ...overloaded, knee: knee(900) }), undefined);

      expect(failedMetrics(verdict)).toEqual(['knee achieved rate']);
    });

    it('fails when the knee drops more than 10 % below the baseline knee', () => {
      const baseline = makeSummary({ ...overloaded, knee: knee(2000) });

      const verdict = compareRun(makeSummary({ ...overloaded, knee: knee(1700) }), baseline);

      expect(failedMetrics(verdict)).toEqual(['knee achieved rate vs baseline']);
      expect(row(verdict, 'knee achieved rate vs baseline')).toMatchObject({ baseline: 2000, current: 1700 });
    });

    it('does not gate the knee when the baseline found none', () => {
      const verdict = compareRun(
        makeSummary({ ...overloaded, knee: knee(1700) }),
        makeSummary({ ...overloaded, knee: null }),
      );

      expect(row(verdict, 'knee achieved rate vs baseline')).toMatchObject({
        gated: false,
        current: 1700,
        note: 'the baseline found no knee up to 3000/s; this run broke at 1700/s',
      });
    });

    it('fails a run whose knee was not measured, saying so rather than that it held', () => {
      const verdict = compareRun(makeSummary(overloaded), undefined);

      expect(failedMetrics(verdict)).toEqual(['knee achieved rate']);
      expect(row(verdict, 'knee achieved rate').note).toMatch(/^not measured: /);
      expect(renderVerdictMarkdown(verdict)).not.toContain('held');
    });

    it('passes a run that measured no knee, saying it was measured', () => {
      const verdict = compareRun(makeSummary({ ...overloaded, knee: null }), undefined);

      expect(verdict.pass).toBe(true);
      expect(row(verdict, 'knee achieved rate')).toMatchObject({ ok: true, gated: true });
      expect(row(verdict, 'knee achieved rate').note).toMatch(/^measured, none found: .* up to the peak of 3,000\/s/);
    });

    it.each<[string, Knee | null | undefined, Knee | null | undefined, string]>([
      ['this run', undefined, knee(2000), 'this run did not measure a knee, so there is nothing to compare'],
      [
        'the baseline',
        knee(1700),
        undefined,
        'the baseline did not measure a knee, so there is nothing to compare against',
      ],
    ])('does not compare knees when %s did not measure one', (_which, now, before, note) => {
      const verdict = compareRun(
        makeSummary({ ...overloaded, knee: now }),
        makeSummary({ ...overloaded, knee: before }),
      );

      expect(row(verdict, 'knee achieved rate vs baseline')).toMatchObject({ gated: false, note });
    });
  });

  describe('comparability with the baseline', () => {
    // A p95 three times the baseline's: a regression, if the two runs measured the same thing.
    const regressed = (shape: RunShape = {}): LoadSummary =>
      makeSummary({ endpoints: { 'POST /v1/events': { p95Ms: 60 } }, ...shape });
    const baseline = makeSummary({ endpoints: { 'POST /v1/events': { p95Ms: 20 } } });

    it('gates a baseline of the same generator, target kind, machine class and rate', () => {
      const verdict = compareRun(regressed(), baseline);

      expect(verdict.incomparable).toEqual([]);
      expect(failedMetrics(verdict)).toEqual(['POST /v1/events p95 vs baseline']);
    });

    it.each<[string, RunShape, string]>([
      ['generator', { generator: 'k6' }, 'generator differs (baseline local-runner, this run k6)'],
      [
        'target kind',
        { targetKind: 'given-url' },
        'target kind differs (baseline started-by-runner, this run given-url)',
      ],
      [
        'machine class',
        { machineClass: 'linux-x64-4cpu-16gb' },
        `machine class differs (baseline ${MACHINE}, this run linux-x64-4cpu-16gb)`,
      ],
      ['requested rate', { requestedRate: 500 }, 'requested rate differs (baseline 1,000/s, this run 500/s)'],
    ])('shows but does not gate a baseline whose %s differs, and says why', (_field, shape, reason) => {
      const verdict = compareRun(regressed(shape), baseline);

      expect(verdict.incomparable).toEqual([expect.stringContaining(reason)]);
      expect(row(verdict, 'POST /v1/events p95 vs baseline')).toMatchObject({
        baseline: 20,
        current: 60,
        gated: false,
      });
      expect(verdict.rows.filter((candidate) => candidate.metric.endsWith('vs baseline')).every((r) => !r.gated)).toBe(
        true,
      );
      expect(verdict.notes).toContainEqual(
        expect.stringMatching(/^No comparable baseline: .*the SLO gates still apply/),
      );
      expect(verdict.notes.join('\n')).toContain(reason);
    });

    it('treats a baseline that records no target kind or machine class as not comparable, naming the command', () => {
      const legacy = makeSummary({
        targetKind: undefined,
        machineClass: undefined,
        endpoints: { 'POST /v1/events': { p95Ms: 20 } },
      });

      const verdict = compareRun(regressed(), legacy);

      expect(verdict.pass).toBe(true);
      expect(verdict.incomparable).toEqual([
        'the baseline records no target kind (written before runs recorded it: re-record it with `npm run load:baselines`)',
        'the baseline records no machine class (written before runs recorded it: re-record it with `npm run load:baselines`)',
      ]);
    });

    it('does not gate a run that records no machine class (a k6 run started by hand)', () => {
      const verdict = compareRun(regressed({ machineClass: undefined }), baseline);

      expect(verdict.pass).toBe(true);
      expect(verdict.incomparable).toEqual([expect.stringContaining('this run records no machine class')]);
    });
  });

  it('shows but does not gate the comparison with a baseline that asked for another rate', () => {
    const baseline = makeSummary({ scenario: 'inbox_polling', requestedRate: 500, requestsPerSecond: 1000 });
    const current = makeSummary({ scenario: 'inbox_polling', requestedRate: 50, requestsPerSecond: 100 });

    const verdict = compareRun(current, baseline);

    expect(verdict.pass).toBe(true);
    expect(row(verdict, 'requests/s vs baseline')).toMatchObject({ baseline: 1000, current: 100, gated: false });
    // The same drop at the same rate fails.
    expect(compareRun({ ...current, requestedRate: 500 }, baseline).pass).toBe(false);
  });

  it('exports its default tolerances', () => {
    expect(DEFAULT_TOLERANCES).toEqual({
      p95IncreasePercent: 15,
      p95FloorMillis: 2,
      throughputDropPercent: 10,
      successRateDropPoints: 0.1,
      kneeDropPercent: 10,
      droppedIterationsPercent: 0,
    });
  });
});

describe('renderVerdictMarkdown', () => {
  it('puts a FAIL headline, one table row per metric and the notes', () => {
    const baseline = makeSummary({ endpoints: { 'POST /v1/events': { p95Ms: 40 } } });
    const verdict = compareRun(makeSummary({ endpoints: { 'POST /v1/events': { p95Ms: 60 } } }), baseline);

    const markdown = renderVerdictMarkdown(verdict, { summaryPath: 'run.json', baselinePath: 'base.json' });

    const lines = markdown.split('\n');
    expect(lines[0]).toBe('## Load gate: ❌ FAIL — `event_ingestion` (generator: local-runner)');
    expect(markdown).toContain('`run.json` against the SLO spec and `base.json` (generator: local-runner).');
    expect(markdown).toContain('| Metric | Baseline | Current | Delta | Allowed | Result |');
    expect(markdown).toContain('| POST /v1/events p95 | — | 60.0 ms | — | < 100.0 ms (SLO) | ✅ |');
    expect(markdown).toContain(
      '| POST /v1/events p95 vs baseline | 40.0 ms | 60.0 ms | +20.0 ms (+50.0 %) | ≤ 46.0 ms (+15 %) | ❌ |',
    );
    expect(
      lines.filter((line) => line.startsWith('| ') && !line.startsWith('| Metric') && !line.startsWith('| ---')),
    ).toHaveLength(verdict.rows.length);
  });

  it('puts a PASS headline and says when there was no baseline', () => {
    const markdown = renderVerdictMarkdown(compareRun(makeSummary(), undefined), { notes: ['No baseline file.'] });

    expect(markdown).toMatch(/^## Load gate: ✅ PASS — `event_ingestion`/);
    expect(markdown).toContain('This run against the SLO spec only (no baseline).');
    expect(markdown).toContain('**Notes**\n\n- No baseline file.');
  });

  it('shows success rates in percent and their change in percentage points', () => {
    const baseline = makeSummary({ scenario: 'inbox_polling' });
    const current = makeSummary({ scenario: 'inbox_polling', endpoints: { 'GET /v1/inbox': { failed: 30 } } });

    const markdown = renderVerdictMarkdown(compareRun(current, baseline));

    expect(markdown).toContain(
      '| GET /v1/inbox success rate vs baseline | 100.00 % | 99.95 % | -0.050 pp | ≥ 99.90 % (-0.1 pp) | ✅ |',
    );
  });
});

describe('runCompareCli', () => {
  let dir: string;
  let baselinesDir: string;
  let out: string;
  let err: string;
  const run = (...argv: string[]): number =>
    runCompareCli(argv, {
      out: (text) => (out += text),
      err: (text) => (err += text),
      baselinesDir,
      cwd: dir,
    });
  const write = (name: string, content: unknown): string => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'load-compare-'));
    baselinesDir = join(dir, 'baselines');
    out = '';
    err = '';
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0 on a passing run and says there is no comparable baseline', () => {
    const summary = write('run.json', makeSummary());

    expect(run(summary)).toBe(0);
    expect(out).toMatch(/^## Load gate: ✅ PASS/);
    expect(out).toContain(`\`${summary}\` against the SLO spec only (no baseline).`);
    expect(out).toContain(
      `No comparable baseline in baselines/ for this run (event_ingestion, local-runner, started-by-runner, ${MACHINE}, 1,000/s): SLO gates only`,
    );
    expect(err).toBe('');
  });

  describe('without --baseline', () => {
    const baselineOf = (path: string, shape: RunShape): void => {
      mkdirSync(join(baselinesDir, path, '..'), { recursive: true });
      write(join('baselines', path), makeSummary({ endpoints: { 'POST /v1/events': { p95Ms: 40 } }, ...shape }));
    };
    const regressed = (): string => write('run.json', makeSummary({ endpoints: { 'POST /v1/events': { p95Ms: 60 } } }));

    it("picks the baseline of the run's machine class and generator among several, and fails on a regression", () => {
      baselineOf(`${MACHINE}/local-runner/event_ingestion.json`, {});
      baselineOf(`${MACHINE}/k6/event_ingestion.json`, {
        generator: 'k6',
        endpoints: { 'POST /v1/events': { p95Ms: 80 } },
      });
      baselineOf('github-ubuntu-24.04/local-runner/event_ingestion.json', { machineClass: 'github-ubuntu-24.04' });
      baselineOf(`${MACHINE}/local-runner/inbox_polling.json`, { scenario: 'inbox_polling' });

      expect(run(regressed())).toBe(1);
      expect(out).toContain(`against the SLO spec and \`baselines/${MACHINE}/local-runner/event_ingestion.json\``);
      expect(out).toContain('| POST /v1/events p95 vs baseline | 40.0 ms | 60.0 ms |');
      expect(out).toContain('recorded with the same generator, target kind, machine class and requested rate');
    });

    it('takes the latest of two comparable baselines', () => {
      baselineOf('a/event_ingestion.json', { startedAt: '2025-06-01T12:00:00.000Z' });
      baselineOf('b/event_ingestion.json', {
        startedAt: '2025-07-01T12:00:00.000Z',
        endpoints: { 'POST /v1/events': { p95Ms: 70 } },
      });

      expect(run(regressed())).toBe(0);
      expect(out).toContain('`baselines/b/event_ingestion.json`');
    });

    it('passes over baselines that are not comparable, saying why, and keeps the SLO gates', () => {
      baselineOf('event_ingestion.json', { targetKind: undefined, machineClass: undefined });
      baselineOf('github-ubuntu-24.04/local-runner/event_ingestion.json', { machineClass: 'github-ubuntu-24.04' });
      write('baselines/notes.json', '{"not": "a summary"}');

      expect(run(regressed())).toBe(0);
      expect(out).toContain('against the SLO spec only (no baseline)');
      expect(out).toContain(
        'Not comparable: `baselines/event_ingestion.json`: the baseline records no target kind (written before runs recorded it: re-record it with `npm run load:baselines`)',
      );
      expect(out).toContain(
        `Not comparable: \`baselines/github-ubuntu-24.04/local-runner/event_ingestion.json\`: machine class differs (baseline github-ubuntu-24.04, this run ${MACHINE})`,
      );
      expect(out).toContain('Skipped `baselines/notes.json` under baselines/: not a valid load summary');
      expect(out).toContain('| POST /v1/events p95 | — | 60.0 ms | — | < 100.0 ms (SLO) | ✅ |');
    });
  });

  it('shows a --baseline that is not comparable without gating it', () => {
    const summary = write('run.json', makeSummary({ endpoints: { 'POST /v1/events': { p95Ms: 60 } } }));
    const baseline = write(
      'base.json',
      makeSummary({ machineClass: 'other', endpoints: { 'POST /v1/events': { p95Ms: 40 } } }),
    );

    expect(run(summary, '--baseline', baseline)).toBe(0);
    expect(out).toContain(`against the SLO spec only: \`${baseline}\` is not a comparable baseline`);
    expect(out).toContain(
      '| POST /v1/events p95 vs baseline | 40.0 ms | 60.0 ms | +20.0 ms (+50.0 %) | ≤ 46.0 ms (+15 %) | ➖ not gated |',
    );
    expect(out).toContain(`No comparable baseline: machine class differs (baseline other, this run ${MACHINE})`);
  });

  it('applies tolerance flags and writes the markdown to --markdown-out', () => {
    const summary = write('run.json', makeSummary({ endpoints: { 'POST /v1/events': { p95Ms: 60 } } }));
    const baseline = write('base.json', makeSummary({ endpoints: { 'POST /v1/events': { p95Ms: 40 } } }));
    const markdownOut = join(dir, 'verdict.md');

    expect(run(summary, '--baseline', baseline, '--p95-tolerance', '60', '--markdown-out', markdownOut)).toBe(0);
    expect(readFileSync(markdownOut, 'utf8')).toBe(out);
    expect(out).toContain('≤ 64.0 ms (+60 %)');
  });

  it.each([
    ['no summary file given', []],
    ['an unknown flag', ['run.json', '--p99-tolerance', '5']],
    ['a tolerance that is not a number', ['run.json', '--throughput-tolerance', 'ten']],
  ])('exits 2 with the usage on %s', (_case, argv) => {
    write('run.json', makeSummary());

    expect(run(...argv.map((arg) => (arg === 'run.json' ? join(dir, arg) : arg)))).toBe(2);
    expect(err).toContain('usage: npm run load:compare -- <summary.json>');
    expect(out).toBe('');
  });

  it('exits 2 when the summary file is missing', () => {
    expect(run(join(dir, 'missing.json'))).toBe(2);
    expect(err).toContain('missing.json is not a valid load summary');
  });

  it('exits 2 naming the field when the summary breaks the schema', () => {
    const broken: Partial<LoadSummary> = makeSummary();
    delete broken.iterations;
    const summary = write('run.json', broken);

    expect(run(summary)).toBe(2);
    expect(err).toContain('run.json is not a valid load summary:\n  - iterations: is missing');
  });

  it('exits 2 when the baseline is for another scenario', () => {
    const summary = write('run.json', makeSummary());
    const baseline = write('base.json', makeSummary({ scenario: 'stress_test' }));

    expect(run(summary, '--baseline', baseline)).toBe(2);
    expect(err).toContain('the baseline is a stress_test run but the summary is a event_ingestion run');
  });
});
