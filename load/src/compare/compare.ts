/**
 * The load regression gate (DESIGN §9), pure: a run's summary against the SLO spec and, when given, a
 * baseline summary of the same scenario. k6 cannot compare two runs, and its thresholds pass when a
 * metric has no samples; this gate fails there.
 */
import { API_ENDPOINTS, type ApiEndpoint } from '../../../contract/metrics';
import { SLO_SPEC, latencyTargetInMillis, successRateTargetPercent, type SloSpec } from '../../../contract/slo-spec';
import { requestedEventRate, requestedRate, SCENARIOS, type ScenarioName } from '../../scenarios/scenarios';
import type { LoadSummary } from '../../scenarios/summary-format';
import { incomparabilities } from './comparability';

/** How far a run may fall behind its baseline (and how many dropped iterations it may have). */
export interface CompareTolerances {
  /** Per endpoint, p95 may grow by this share of the baseline p95, in percent. */
  readonly p95IncreasePercent: number;
  /**
   * A p95 that grows by less than this many milliseconds never fails the relative gate: at 1-2 ms,
   * scheduler and timer jitter alone move p95 by more than 15 % (1 ms -> 1.3 ms is noise, not a regression).
   */
  readonly p95FloorMillis: number;
  /** Requests/s and events accepted/s may drop by this share of the baseline, in percent. */
  readonly throughputDropPercent: number;
  /** A success rate may drop by this many percentage points below the baseline's. */
  readonly successRateDropPoints: number;
  /** Capacity scenarios (stress_test): the knee's achieved rate may drop by this share of the baseline's, in percent. */
  readonly kneeDropPercent: number;
  /**
   * Dropped iterations allowed, in percent of iterations due. 0 by default: a dropped iteration means the
   * generator could not keep the open-model arrival rate, so the server was offered less load than the
   * scenario asks and its latency and throughput figures describe an easier run. A percent, not a count,
   * so the same tolerance means the same on a short and a long run.
   */
  readonly droppedIterationsPercent: number;
}

/** The default tolerances; `npm run load:compare` flags override each one. */
export const DEFAULT_TOLERANCES: CompareTolerances = {
  p95IncreasePercent: 15,
  p95FloorMillis: 2,
  throughputDropPercent: 10,
  successRateDropPoints: 0.1,
  kneeDropPercent: 10,
  droppedIterationsPercent: 0,
};

export interface CompareOptions {
  /** Any tolerance left out keeps its {@link DEFAULT_TOLERANCES} value. */
  readonly tolerances?: Partial<CompareTolerances>;
  /** The objectives of the absolute gates; {@link SLO_SPEC} when left out. */
  readonly spec?: SloSpec;
}

/** How a row's numbers read: `ratio` is 0-1 (shown as percent), `percent` is already 0-100. */
export type RowUnit = 'ms' | 'ratio' | 'percent' | 'per-second' | 'count';

/** The limit a row's current value is held to, e.g. `< 100` ms; `basis` says where it comes from (`SLO`, `+15 %`). */
export interface RowBound {
  readonly comparator: '<' | '≤' | '≥' | '>';
  readonly value: number;
  readonly basis: string;
}

/** One checked metric. Absolute rows have no baseline; `current` is undefined when the metric has no samples. */
export interface VerdictRow {
  readonly metric: string;
  readonly unit: RowUnit;
  readonly baseline?: number;
  readonly current?: number;
  /** current - baseline in the row's unit, and in percent of the baseline when that is not 0. */
  readonly delta?: { readonly absolute: number; readonly percent?: number };
  /** Undefined on rows that compare nothing (the baseline has no figure). */
  readonly allowed?: RowBound;
  readonly ok: boolean;
  /** False for rows shown for information only: they never fail the run. */
  readonly gated: boolean;
  readonly note?: string;
}

export interface Verdict {
  readonly scenario: ScenarioName;
  readonly generator: LoadSummary['generator'];
  /** The baseline's generator, when a baseline was compared against. */
  readonly baselineGenerator?: LoadSummary['generator'];
  /**
   * Why the baseline given cannot gate this run (generator, target kind, machine class or requested rate
   * differ or are unknown); empty when it is comparable, or when there is no baseline.
   */
  readonly incomparable: readonly string[];
  /** True when every gated row is ok. */
  readonly pass: boolean;
  readonly rows: readonly VerdictRow[];
  /** Remarks about the comparison as a whole (unlike runs, rows not gated). */
  readonly notes: readonly string[];
  readonly tolerances: CompareTolerances;
}

/** The baseline is for another scenario: comparing the two would measure nothing. */
export class ScenarioMismatchError extends Error {
  override readonly name = 'ScenarioMismatchError';

  constructor(
    readonly currentScenario: ScenarioName,
    readonly baselineScenario: ScenarioName,
  ) {
    super(`the baseline is a ${baselineScenario} run but the summary is a ${currentScenario} run`);
  }
}

/**
 * A capacity run ramps past capacity on purpose, so its whole-run p95, error rate and dropped iterations
 * breach the SLO whenever it finds the knee; its absolute gate is the knee itself.
 */
function capacityRun(scenario: ScenarioName): boolean {
  return SCENARIOS[scenario].role.gate === 'capacity';
}

const NO_SAMPLES = 'no samples: an expected metric that is empty fails instead of passing vacuously';

/** Checks `current` against the SLO spec and, when given, against `baseline` of the same scenario. */
export function compareRun(
  current: LoadSummary,
  baseline: LoadSummary | undefined,
  options: CompareOptions = {},
): Verdict {
  if (baseline && baseline.scenario !== current.scenario) {
    throw new ScenarioMismatchError(current.scenario, baseline.scenario);
  }
  const tolerances = { ...DEFAULT_TOLERANCES, ...options.tolerances };
  const spec = options.spec ?? SLO_SPEC;
  const endpoints = expectedEndpoints(current);
  const rows = [...absoluteRows(current, endpoints, spec, tolerances)];
  const notes: string[] = [];
  if (capacityRun(current.scenario)) {
    notes.push(
      `${current.scenario} ramps past capacity on purpose: its whole-run SLO figures and dropped iterations are shown but not gated; the knee is.`,
    );
  }
  const incomparable = baseline ? incomparabilities(current, baseline) : [];
  if (baseline) {
    const relativeRowsOf = relativeRows(current, baseline, endpoints, tolerances);
    // Another generator, target, machine or rate is another measurement: its deltas are shown, not gated.
    const comparable = incomparable.length === 0;
    rows.push(...(comparable ? relativeRowsOf : relativeRowsOf.map((row) => ({ ...row, ok: true, gated: false }))));
    if (!comparable) {
      notes.push(
        `No comparable baseline: ${incomparable.join('; ')}. The rows against it are shown for reference, not gated; the SLO gates still apply.`,
      );
    }
  }
  return {
    scenario: current.scenario,
    generator: current.generator,
    ...(baseline && { baselineGenerator: baseline.generator }),
    incomparable,
    pass: rows.every((row) => row.ok || !row.gated),
    rows,
    notes,
    tolerances,
  };
}

/** The summary's expected endpoints plus the scenario's own, so a summary listing none cannot pass vacuously. */
function expectedEndpoints(summary: LoadSummary): string[] {
  return [...new Set([...summary.expectedEndpoints, ...SCENARIOS[summary.scenario].endpoints])];
}

function isApiEndpoint(endpoint: string): endpoint is ApiEndpoint {
  return (API_ENDPOINTS as readonly string[]).includes(endpoint);
}

function absoluteRows(
  run: LoadSummary,
  endpoints: readonly string[],
  spec: SloSpec,
  tolerances: CompareTolerances,
): VerdictRow[] {
  const sloGated = !capacityRun(run.scenario);
  const rows: VerdictRow[] = [];
  for (const endpoint of endpoints) {
    const figures = run.endpoints[endpoint];
    const requests = figures?.requests ?? 0;
    rows.push({
      metric: `${endpoint} requests`,
      unit: 'count',
      current: requests,
      allowed: { comparator: '>', value: 0, basis: 'expected endpoint' },
      ok: requests > 0,
      gated: true,
      ...(requests === 0 && { note: NO_SAMPLES }),
    });
    const route = isApiEndpoint(endpoint) ? endpoint : undefined;
    const latencyTarget = route && latencyTargetInMillis(route, spec);
    if (latencyTarget !== undefined) {
      const p95 = requests > 0 ? figures?.latency?.p95Ms : undefined;
      rows.push(check(`${endpoint} p95`, 'ms', p95, { comparator: '<', value: latencyTarget, basis: 'SLO' }, sloGated));
    }
    const successTarget = route && successRateTargetPercent(route, spec);
    if (successTarget !== undefined) {
      const successRate = requests > 0 ? figures?.successRate : undefined;
      const bound = { comparator: '≥', value: successTarget / 100, basis: 'SLO' } as const;
      rows.push(check(`${endpoint} success rate`, 'ratio', successRate, bound, sloGated));
    }
  }
  const errorPercent = run.requests.total > 0 ? (run.requests.failed / run.requests.total) * 100 : undefined;
  const errorBound = { comparator: '≤', value: spec.errorRate.maximumPercent, basis: 'SLO' } as const;
  rows.push(check('error rate (5xx or no response)', 'percent', errorPercent, errorBound, sloGated));
  if (SCENARIOS[run.scenario].role.ingestionObjective) rows.push(ingestionRow(run, spec));
  rows.push(droppedIterationsRow(run, tolerances, sloGated));
  if (capacityRun(run.scenario)) rows.push(kneeRow(run, spec));
  return rows;
}

function droppedIterationsRow(run: LoadSummary, tolerances: CompareTolerances, gated: boolean): VerdictRow {
  const { started, dropped } = run.iterations;
  const due = started + dropped;
  const percent = due > 0 ? (dropped / due) * 100 : 0;
  const bound = { comparator: '≤', value: tolerances.droppedIterationsPercent, basis: 'tolerance' } as const;
  const row = check('dropped iterations', 'percent', percent, bound, gated);
  if (dropped === 0) return row;
  const note = `${dropped.toLocaleString('en-US')} of ${due.toLocaleString('en-US')} due iterations were dropped: the generator could not keep the arrival rate`;
  return { ...row, note: row.ok ? note : `${note}, so the server was offered less load than the scenario asks` };
}

/**
 * Events accepted/s against the ingestion objective, gated only when the run asked for at least the
 * objective's rate: a run at 50/s cannot accept 1,000/s, and failing it would say nothing about the API.
 */
function ingestionRow(run: LoadSummary, spec: SloSpec): VerdictRow {
  const objective = spec.ingestion.minimumEventsPerSecond;
  const bound = { comparator: '≥', value: objective, basis: 'SLO' } as const;
  // The summary's requested rate is in iterations; a batch iteration asks for several events.
  const scenario = SCENARIOS[run.scenario];
  const defaultIterations = requestedRate(scenario, scenario.durationSeconds);
  const eventsPerIteration =
    defaultIterations === 0 ? 1 : requestedEventRate(scenario, scenario.durationSeconds) / defaultIterations;
  const askedEvents = run.requestedRate * eventsPerIteration;
  if (askedEvents >= objective) {
    return check('events accepted/s', 'per-second', run.eventsAccepted.ratePerSecond, bound, true);
  }
  return {
    ...check('events accepted/s', 'per-second', run.eventsAccepted.ratePerSecond, bound, false),
    ok: true,
    note: `not gated: the run asked for ${askedEvents.toLocaleString('en-US')} events/s, below the objective's ${objective.toLocaleString('en-US')}/s`,
  };
}

// The knee must not come before the ingestion objective: a service that breaks below it cannot meet it.
// A knee that was not measured fails, as a metric without samples does: "not measured" is not "held".
function kneeRow(run: LoadSummary, spec: SloSpec): VerdictRow {
  const metric = 'knee achieved rate';
  const bound = { comparator: '≥', value: spec.ingestion.minimumEventsPerSecond, basis: 'SLO ingestion' } as const;
  if (run.knee === undefined) {
    return { metric, unit: 'per-second', allowed: bound, ok: false, gated: true, note: KNEE_NOT_MEASURED };
  }
  if (run.knee === null) {
    return {
      metric,
      unit: 'per-second',
      allowed: bound,
      ok: true,
      gated: true,
      note: `measured, none found: p95, errors and dropped iterations held in every 5-second window up to the peak of ${run.requestedRate.toLocaleString('en-US')}/s asked`,
    };
  }
  return { ...check(metric, 'per-second', run.knee.achievedRate, bound, true), note: run.knee.reason };
}

const KNEE_NOT_MEASURED =
  'not measured: the summary carries no knee (no per-window figures), so the stress gate has nothing to check';

function relativeRows(
  current: LoadSummary,
  baseline: LoadSummary,
  endpoints: readonly string[],
  tolerances: CompareTolerances,
): VerdictRow[] {
  const rows: VerdictRow[] = [];
  for (const endpoint of endpoints) {
    const now = current.endpoints[endpoint];
    const before = baseline.endpoints[endpoint];
    const p95Before = before && before.requests > 0 ? before.latency?.p95Ms : undefined;
    rows.push(p95Row(endpoint, p95Before, now && now.requests > 0 ? now.latency?.p95Ms : undefined, tolerances));
    const successBefore = before && before.requests > 0 ? before.successRate : undefined;
    const successNow = now && now.requests > 0 ? now.successRate : undefined;
    rows.push(successRow(`${endpoint} success rate`, successBefore, successNow, tolerances));
  }
  const overallSuccess = (run: LoadSummary): number | undefined =>
    run.requests.total > 0 ? run.requests.successRate : undefined;
  rows.push(successRow('success rate (all requests)', overallSuccess(baseline), overallSuccess(current), tolerances));
  const throughputBasis = `-${tolerances.throughputDropPercent} %`;
  const dropFactor = 1 - tolerances.throughputDropPercent / 100;
  rows.push(
    relative('requests/s', 'per-second', baseline.requests.ratePerSecond, current.requests.ratePerSecond, (before) => ({
      comparator: '≥',
      value: before * dropFactor,
      basis: throughputBasis,
    })),
    relative(
      'events accepted/s',
      'per-second',
      baseline.eventsAccepted.ratePerSecond,
      current.eventsAccepted.ratePerSecond,
      (before) => ({ comparator: '≥', value: before * dropFactor, basis: throughputBasis }),
    ),
  );
  if (capacityRun(current.scenario)) rows.push(kneeRelativeRow(current, baseline, tolerances));
  return rows;
}

function p95Row(
  endpoint: string,
  before: number | undefined,
  now: number | undefined,
  tolerances: CompareTolerances,
): VerdictRow {
  const row = relative(`${endpoint} p95`, 'ms', before, now, (baselineP95) => {
    const proportional = baselineP95 * (1 + tolerances.p95IncreasePercent / 100);
    const floor = baselineP95 + tolerances.p95FloorMillis;
    return proportional >= floor
      ? { comparator: '≤', value: proportional, basis: `+${tolerances.p95IncreasePercent} %` }
      : { comparator: '≤', value: floor, basis: `+${tolerances.p95FloorMillis} ms floor` };
  });
  const grewPastPercent =
    before !== undefined && now !== undefined && now > before * (1 + tolerances.p95IncreasePercent / 100);
  if (row.ok && row.gated && grewPastPercent) {
    return {
      ...row,
      note: `grew more than ${tolerances.p95IncreasePercent} % but by less than the ${tolerances.p95FloorMillis} ms floor: jitter, not a regression`,
    };
  }
  return row;
}

function successRow(
  metric: string,
  before: number | undefined,
  now: number | undefined,
  tolerances: CompareTolerances,
): VerdictRow {
  return relative(metric, 'ratio', before, now, (baselineRate) => ({
    comparator: '≥',
    value: baselineRate - tolerances.successRateDropPoints / 100,
    basis: `-${tolerances.successRateDropPoints} pp`,
  }));
}

function kneeRelativeRow(current: LoadSummary, baseline: LoadSummary, tolerances: CompareTolerances): VerdictRow {
  const metric = 'knee achieved rate vs baseline';
  const bound = (before: number): RowBound => ({
    comparator: '≥',
    value: before * (1 - tolerances.kneeDropPercent / 100),
    basis: `-${tolerances.kneeDropPercent} %`,
  });
  if (current.knee && baseline.knee) {
    return relative('knee achieved rate', 'per-second', baseline.knee.achievedRate, current.knee.achievedRate, bound);
  }
  const note =
    current.knee === undefined
      ? 'this run did not measure a knee, so there is nothing to compare'
      : baseline.knee === undefined
        ? 'the baseline did not measure a knee, so there is nothing to compare against'
        : current.knee === null
          ? 'this run found no knee: it held up to the peak asked, so it is not compared'
          : `the baseline found no knee up to ${baseline.requestedRate}/s; this run broke at ${current.knee.achievedRate}/s`;
  return {
    metric,
    unit: 'per-second',
    ...(baseline.knee && { baseline: baseline.knee.achievedRate }),
    ...(current.knee && { current: current.knee.achievedRate }),
    ok: true,
    gated: false,
    note,
  };
}

/** A `<name> vs baseline` row: not gated when the baseline has no figure; failed when the current run has none. */
function relative(
  name: string,
  unit: RowUnit,
  before: number | undefined,
  now: number | undefined,
  boundFor: (baseline: number) => RowBound,
): VerdictRow {
  const metric = `${name} vs baseline`;
  if (before === undefined) {
    return {
      metric,
      unit,
      ...(now !== undefined && { current: now }),
      ok: true,
      gated: false,
      note: 'the baseline has no samples here, so there is nothing to compare against',
    };
  }
  const row = check(metric, unit, now, boundFor(before), true);
  if (now === undefined) return { ...row, baseline: before };
  const absolute = now - before;
  return {
    ...row,
    baseline: before,
    delta: before === 0 ? { absolute } : { absolute, percent: (absolute / before) * 100 },
  };
}

/** One metric against one bound; a metric with no value fails (when gated). */
function check(
  metric: string,
  unit: RowUnit,
  value: number | undefined,
  allowed: RowBound,
  gated: boolean,
): VerdictRow {
  if (value === undefined) return { metric, unit, allowed, ok: false, gated, note: NO_SAMPLES };
  const row = { metric, unit, current: value, allowed, ok: satisfies(value, allowed), gated };
  return !gated && !row.ok ? { ...row, note: 'not gated for this scenario' } : row;
}

function satisfies(value: number, bound: RowBound): boolean {
  // Rounded first: 99.9 / 100 is 0.9990000000000001, and 999 of 1,000 must meet a 99.9 % objective.
  const [a, b] = [comparable(value), comparable(bound.value)];
  switch (bound.comparator) {
    case '<':
      return a < b;
    case '≤':
      return a <= b;
    case '≥':
      return a >= b;
    case '>':
      return a > b;
  }
}

function comparable(value: number): number {
  return Number(value.toPrecision(12));
}
