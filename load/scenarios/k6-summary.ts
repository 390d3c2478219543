/**
 * The common load summary (summary-format.ts) from k6's end-of-test data, and the files handleSummary
 * returns. Pure and free of k6 imports, so Node tests it. Where it differs from the local runner's:
 * - latency is k6's `http_req_duration`, timed from when the request was sent. An arrival-rate executor
 *   starts an iteration on time or drops it, so a generator that falls behind shows as dropped
 *   iterations rather than as latency; the local runner times from the scheduled send time instead;
 * - `byStatus` comes from the per-status sub-metrics k6-options.ts declares (`COUNTED_STATUSES`); k6
 *   cannot list statuses nobody declared, so the rest of an endpoint's responses are counted as `other`;
 * - totals add up the scenario's endpoints, so the readiness requests of `setup()` are left out;
 * - rates are per second of the scheduled run, as the local runner's are, not k6's own counter rates,
 *   which divide by the whole test run including setup and the graceful stop;
 * - the timeline has a point per 5-second window, not per second: k6's data has no time series, only the
 *   per-window sub-metrics k6-options.ts declares (each iteration's metrics carry its window's tag). The
 *   knee is looked for in those windows with the local runner's rule (knee.ts), a window at a time
 *   rather than sliding a second at a time;
 * - k6 does not say when it dropped an iteration (`dropped_iterations` carries no VU tags): the run's
 *   dropped count is exact, its split over the windows an estimate (iterations due in the window minus
 *   those started in it);
 * - no `server` figures, and no machine class unless `LOAD_MACHINE_CLASS` names it: `npm run load`
 *   fills both in after k6 has written the summary.
 */
import type { EndpointSummary, LatencyFigures, LoadSummary, TimelinePoint } from './summary-format.ts';
import { SUMMARY_SCHEMA_VERSION } from './summary-format.ts';
import { EVENTS_ACCEPTED_METRIC } from '../../contract/k6-vocabulary.ts';
import {
  COUNTED_STATUSES,
  endpointMetric,
  statusMetric,
  windowMetric,
  windowStarts,
  type ScenarioRun,
} from './k6-options.ts';
import { firstKnee, KNEE_WINDOW_SECONDS, measuresKnee, type KneeLimits, type KneeWindow } from './knee.ts';
import { iterationsDue, rateAt, requestedRate } from './scenarios.ts';

/** Where handleSummary writes the summary unless `SUMMARY_FILE` says otherwise (relative to k6's working directory). */
export const DEFAULT_SUMMARY_FILE = 'load-summary.json';

/**
 * One metric of the data k6 passes to `handleSummary` (k6 1.x, `summarizeMetricsToObject` in its js
 * package). `values`: a counter has `count` and `rate`; a rate has `rate`, `passes` (non-zero samples:
 * for `http_req_failed`, the failed requests) and `fails`; a trend has the `summaryTrendStats`.
 */
export interface K6SummaryMetric {
  type: 'counter' | 'gauge' | 'rate' | 'trend';
  contains: string;
  values: Record<string, number | undefined>;
  /** Keyed by expression; present when the metric has thresholds. */
  thresholds?: Record<string, { ok: boolean }>;
}

/** The parts of k6's handleSummary data read here. k6 includes only metrics with samples or thresholds. */
export interface K6SummaryData {
  state: { testRunDurationMs: number; isStdOutTTY?: boolean; isStdErrTTY?: boolean };
  metrics: Record<string, K6SummaryMetric | undefined>;
}

export interface SummaryContext {
  run: ScenarioRun;
  /** Base URL of the API under test. */
  target: string;
  /** When handleSummary ran: the run started `testRunDurationMs` before. */
  endedAt: Date;
  /** What breaks a window (k6-options.ts `kneeLimits`, from the generated thresholds). */
  kneeLimits: KneeLimits;
  /** The generator machine's class when the environment names it (`LOAD_MACHINE_CLASS`). */
  machineClass?: string;
}

/** The common summary of a k6 run. */
export function toLoadSummary(data: K6SummaryData, context: SummaryContext): LoadSummary {
  const { spec, durationSeconds } = context.run;
  const endpoints: Record<string, EndpointSummary> = Object.fromEntries(
    spec.endpoints.map((endpoint) => [endpoint, endpointSummary(data, endpoint)]),
  );
  const all = Object.values(endpoints);
  const total = sum(all.map((e) => e.requests));
  const failed = sum(all.map((e) => e.failed));
  const accepted = metricValue(data, EVENTS_ACCEPTED_METRIC, 'count');
  const windows = kneeWindows(data, context.run);
  return {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    scenario: spec.name,
    generator: 'k6',
    target: context.target,
    // k6 was given the URL; `npm run load` says so when it started the API itself.
    targetKind: 'given-url',
    ...(context.machineClass && { machineClass: context.machineClass }),
    startedAt: new Date(context.endedAt.getTime() - Math.round(data.state.testRunDurationMs)).toISOString(),
    durationSeconds,
    requestedRate: requestedRate(spec, durationSeconds),
    iterations: {
      started: metricValue(data, 'iterations', 'count'),
      dropped: metricValue(data, 'dropped_iterations', 'count'),
    },
    requests: {
      total,
      failed,
      successRate: total === 0 ? 0 : (total - failed) / total,
      ratePerSecond: total / durationSeconds,
      byStatus: addCounts(all.map((e) => e.byStatus)),
    },
    eventsAccepted: { count: accepted, ratePerSecond: accepted / durationSeconds },
    endpoints,
    expectedEndpoints: [...spec.endpoints],
    ...(windows && { timeline: windows.map(timelinePoint) }),
    ...(windows && measuresKnee(spec) && { knee: firstKnee(windows, context.kneeLimits) }),
  };
}

interface MeasuredWindow extends KneeWindow {
  /** Iterations the schedule had due in the window. */
  due: number;
  iterations: number;
  latency: LatencyFigures | undefined;
}

/**
 * The run's 5-second windows from the per-window sub-metrics, or undefined when the data has none (a
 * script that declared no windows). Dropped iterations are spread over the windows in proportion to the
 * iterations each one is short of its schedule, so they add up to k6's exact count.
 */
function kneeWindows(data: K6SummaryData, run: ScenarioRun): MeasuredWindow[] | undefined {
  const starts = windowStarts(run.durationSeconds);
  if (!starts.every((start) => data.metrics[windowMetric('http_reqs', start)] !== undefined)) return undefined;
  const measured = starts.map((start) => {
    const lengthSeconds = Math.min(KNEE_WINDOW_SECONDS, run.durationSeconds - start);
    const requests = metricValue(data, windowMetric('http_reqs', start), 'count');
    const latency = requests > 0 ? latencyFigures(data.metrics[windowMetric('http_req_duration', start)]) : undefined;
    return {
      startSeconds: start,
      lengthSeconds,
      targetRate: run.spec.traffic.reduce((sum, part) => sum + rateAt(part, start + 0.5, run.durationSeconds), 0),
      due: iterationsDue(run.spec, start, start + lengthSeconds, run.durationSeconds),
      iterations: metricValue(data, windowMetric('iterations', start), 'count'),
      requests,
      failed: metricValue(data, windowMetric('http_req_failed', start), 'passes'),
      latency,
      p95Ms: latency?.p95Ms,
      eventsAccepted: metricValue(data, windowMetric(EVENTS_ACCEPTED_METRIC, start), 'count'),
    };
  });
  const dropped = metricValue(data, 'dropped_iterations', 'count');
  const shares = spread(
    dropped,
    measured.map((w) => w.due - w.iterations),
  );
  return measured.map((window, index) => ({
    ...window,
    dropped: shares[index] ?? 0,
    ...(dropped > 0 && { droppedEstimated: true }),
  }));
}

/**
 * `total` split into whole numbers in proportion to the positive `shortfalls` (largest remainder); all of
 * it on the largest shortfall when none is positive.
 */
function spread(total: number, shortfalls: number[]): number[] {
  const weights = shortfalls.map((shortfall) => Math.max(0, shortfall));
  const weightSum = sum(weights);
  if (total === 0) return weights.map(() => 0);
  if (weightSum === 0) {
    const largest = shortfalls.indexOf(Math.max(...shortfalls));
    return shortfalls.map((_, index) => (index === largest ? total : 0));
  }
  const exact = weights.map((weight) => (total * weight) / weightSum);
  const shares = exact.map(Math.floor);
  const byRemainder = exact.map((value, index) => ({ index, remainder: value - Math.floor(value) }));
  byRemainder.sort((a, b) => b.remainder - a.remainder);
  for (let left = total - sum(shares), i = 0; left > 0; left--, i++) {
    const index = byRemainder[i % byRemainder.length]?.index ?? 0;
    shares[index] = (shares[index] ?? 0) + 1;
  }
  return shares;
}

function timelinePoint(window: MeasuredWindow): TimelinePoint {
  return {
    t: window.startSeconds,
    lengthSeconds: window.lengthSeconds,
    targetRate: window.due / window.lengthSeconds,
    iterations: window.iterations,
    dropped: window.dropped,
    requests: window.requests,
    failed: window.failed,
    ...(window.latency && { latency: window.latency }),
    eventsAccepted: window.eventsAccepted,
  };
}

/** What handleSummary returns: the summary JSON under `SUMMARY_FILE` (default {@link DEFAULT_SUMMARY_FILE}) and a short text on stdout. */
export function summaryFiles(
  data: K6SummaryData,
  context: SummaryContext,
  env: Record<string, string | undefined>,
): Record<string, string> {
  const summary = toLoadSummary(data, context);
  return {
    [env.SUMMARY_FILE || DEFAULT_SUMMARY_FILE]: `${JSON.stringify(summary, null, 2)}\n`,
    stdout: summaryText(summary, data),
  };
}

/** A plain-text overview: totals, one line per endpoint, and the thresholds that failed. */
export function summaryText(summary: LoadSummary, data: K6SummaryData): string {
  const percent = (ratio: number): string => `${(100 * ratio).toFixed(3)} %`;
  const perSecond = (count: number): string => `${(count / summary.durationSeconds).toFixed(1)}/s`;
  const { iterations, requests, eventsAccepted } = summary;
  const lines = [
    `${summary.scenario} (k6) against ${summary.target}: ${summary.durationSeconds} s, ` +
      `up to ${round(summary.requestedRate)} iterations/s`,
    `  iterations  ${iterations.started} started, ${iterations.dropped} dropped`,
    `  requests    ${requests.total}, ${requests.failed} failed (${percent(requests.successRate)} succeeded), ` +
      perSecond(requests.total),
    `  events      ${eventsAccepted.count} accepted, ${perSecond(eventsAccepted.count)}`,
  ];
  const checks = data.metrics.checks?.values;
  if (checks?.rate !== undefined) lines.push(`  checks      ${percent(checks.rate)} passed`);
  lines.push(
    '',
    `  ${'endpoint'.padEnd(32)}${columns(['requests', 'failed', 'success', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'])}`,
  );
  for (const [name, e] of Object.entries(summary.endpoints)) {
    const latency = e.latency ? [e.latency.p50Ms, e.latency.p95Ms, e.latency.p99Ms, e.latency.maxMs] : [];
    const figures = latency.length > 0 ? latency.map((ms) => ms.toFixed(2)) : ['-', '-', '-', '-'];
    const success = e.requests === 0 ? '-' : percent(e.successRate);
    lines.push(`  ${name.padEnd(32)}${columns([String(e.requests), String(e.failed), success, ...figures])}`);
  }
  if (summary.knee) {
    lines.push(
      '',
      `  knee        at ${summary.knee.atSeconds} s, ${summary.knee.targetRate}/s asked: ${summary.knee.reason}`,
    );
  } else if (summary.knee === null) {
    lines.push('', '  knee        none: p95, errors and dropped iterations held in every 5-second window');
  }
  lines.push('', ...thresholdLines(data), '');
  return lines.join('\n');
}

function thresholdLines(data: K6SummaryData): string[] {
  const results = Object.entries(data.metrics).flatMap(([metric, m]) =>
    Object.entries(m?.thresholds ?? {}).map(([expression, { ok }]) => ({ metric, expression, ok })),
  );
  const failed = results.filter((r) => !r.ok);
  if (failed.length === 0) return [`  thresholds  all ${results.length} passed`];
  return [
    `  thresholds  ${failed.length} of ${results.length} failed:`,
    ...failed.map((r) => `    FAILED ${r.metric}: ${r.expression}`),
  ];
}

function columns(cells: string[]): string {
  return cells.map((cell) => cell.padStart(11)).join('');
}

function endpointSummary(data: K6SummaryData, endpoint: string): EndpointSummary {
  const requests = metricValue(data, endpointMetric('http_reqs', endpoint), 'count');
  // `passes` of a rate counts its non-zero samples: for http_req_failed, the failed requests.
  const failed = metricValue(data, endpointMetric('http_req_failed', endpoint), 'passes');
  const byStatus: Record<string, number> = {};
  for (const status of COUNTED_STATUSES) {
    const count = metricValue(data, statusMetric(endpoint, status), 'count');
    if (count > 0) byStatus[String(status)] = count;
  }
  const other = requests - sum(Object.values(byStatus));
  if (other > 0) byStatus.other = other;
  const latency =
    requests > 0 ? latencyFigures(data.metrics[endpointMetric('http_req_duration', endpoint)]) : undefined;
  return {
    requests,
    failed,
    successRate: requests === 0 ? 0 : (requests - failed) / requests,
    ...(latency && { latency }),
    byStatus,
  };
}

function latencyFigures(metric: K6SummaryMetric | undefined): LatencyFigures | undefined {
  const values = metric?.values;
  if (!values) return undefined;
  return {
    p50Ms: values['p(50)'] ?? values.med ?? 0,
    p95Ms: values['p(95)'] ?? 0,
    p99Ms: values['p(99)'] ?? 0,
    maxMs: values.max ?? 0,
  };
}

function metricValue(data: K6SummaryData, metric: string, key: string): number {
  return data.metrics[metric]?.values[key] ?? 0;
}

function addCounts(counts: Record<string, number>[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const byKey of counts) {
    for (const [key, count] of Object.entries(byKey)) total[key] = (total[key] ?? 0) + count;
  }
  return total;
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function round(value: number): number {
  return Number(value.toFixed(2));
}
