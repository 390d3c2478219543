/**
 * One self-contained HTML page for a load run: header figures, a table per endpoint against the SLO
 * targets, and uPlot charts over time. uPlot, the page script and the summary are inlined, so the file
 * opens offline and can be attached or archived as is.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SCENARIOS } from '../../scenarios/scenarios';
import type { EndpointSummary, LatencyFigures, LoadSummary } from '../../scenarios/summary-format';
import { SLO_SPEC, type SloSpec } from '../../../contract/slo-spec';
import { measuresKnee } from '../../scenarios/knee';
import { exercisedLatencyObjectives, reportCharts, timelinePointSeconds } from './report-charts';

/** Where an endpoint stands against one objective. */
export type ObjectiveStatus = 'holds' | 'missed' | 'no samples' | 'no objective';

/** One row of the endpoint table. */
export interface EndpointRow {
  endpoint: string;
  /** One of the endpoints the scenario exercises (`expectedEndpoints`). */
  expected: boolean;
  summary: EndpointSummary | undefined;
  p95TargetInMillis: number | undefined;
  p95: ObjectiveStatus;
  successMinimumPercent: number | undefined;
  success: ObjectiveStatus;
}

/** The whole report page for a summary. */
export function reportHtml(summary: LoadSummary, spec: SloSpec = SLO_SPEC): string {
  const rows = endpointRows(summary, spec);
  const charts = reportCharts(summary, spec);
  const title = `Load report – ${summary.scenario} – ${formatDate(summary.startedAt)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${readAsset(require.resolve('uplot/dist/uPlot.min.css'))}</style>
<style>${PAGE_CSS}</style>
</head>
<body>
<main>
${headerHtml(summary, rows)}
${runHtml(summary)}
${factsHtml(summary, spec)}
<h2>Endpoints</h2>
${endpointTableHtml(rows)}
<h2>Over time</h2>
${charts.length > 0 ? chartsHtml(summary) : NO_TIMELINE_NOTE}
${summary.server ? serverHtml(summary.server) : ''}
<footer>Summary schema v${summary.schemaVersion}. The summary this page was made from is embedded in it as JSON (<code>script#load-summary</code>).</footer>
</main>
<script type="application/json" id="load-summary">${jsonForScript(summary)}</script>
<script type="application/json" id="report-charts">${jsonForScript(charts)}</script>
<script>${inlineScript(readAsset(require.resolve('uplot/dist/uPlot.iife.min.js')))}</script>
<script>${inlineScript(readAsset(path.join(__dirname, 'browser', 'report-client.js')))}</script>
</body>
</html>
`;
}

/** Every endpoint the run exercised or sent requests to, with its standing against the SLO spec. */
export function endpointRows(summary: LoadSummary, spec: SloSpec = SLO_SPEC): EndpointRow[] {
  const endpoints = [...new Set([...summary.expectedEndpoints, ...Object.keys(summary.endpoints)])];
  return endpoints.map((endpoint) => {
    const figures = summary.endpoints[endpoint];
    const sampled = figures !== undefined && figures.requests > 0;
    const p95TargetInMillis = spec.latency.find((objective) => objective.endpoint === endpoint)?.targetInMillis;
    const successMinimumPercent = spec.successRate.find((objective) => objective.endpoint === endpoint)?.minimumPercent;
    return {
      endpoint,
      expected: summary.expectedEndpoints.includes(endpoint),
      summary: figures,
      p95TargetInMillis,
      p95: standing(p95TargetInMillis, figures?.latency?.p95Ms, (p95, target) => p95 < target),
      successMinimumPercent,
      success: standing(
        successMinimumPercent,
        sampled ? failedPercent(figures.failed, figures.requests) : undefined,
        (failed, minimum) => failed < 100 - minimum,
      ),
    };
  });
}

/** Where a measured figure stands against an objective's target; `meets` compares the two. */
function standing(
  target: number | undefined,
  measured: number | undefined,
  meets: (measured: number, target: number) => boolean,
): ObjectiveStatus {
  if (target === undefined) return 'no objective';
  if (measured === undefined) return 'no samples';
  return meets(measured, target) ? 'holds' : 'missed';
}

const NO_TIMELINE_NOTE = `<p class="note" id="no-timeline">This summary has no timeline, so there are no charts: the
tables above cover the whole run. The local runner records one point a second, k6 one per 5-second window.</p>`;

function headerHtml(summary: LoadSummary, rows: EndpointRow[]): string {
  const misses = rows.flatMap((row) => missesOf(row));
  const verdict =
    misses.length === 0
      ? `<p class="verdict" data-verdict="held">SLO held on every endpoint the scenario exercises.</p>`
      : `<p class="verdict" data-verdict="missed">SLO missed: ${misses.map(escapeHtml).join('; ')}.</p>`;
  const description = SCENARIOS[summary.scenario]?.description;
  return `<header>
<h1>Load report: ${escapeHtml(summary.scenario)}</h1>
${description ? `<p class="lede">${escapeHtml(description)}</p>` : ''}
${verdict}
</header>`;
}

function missesOf(row: EndpointRow): string[] {
  const figures = row.summary;
  const misses: string[] = [];
  if (row.p95 === 'missed' && figures?.latency) {
    misses.push(`${row.endpoint} p95 ${formatMs(figures.latency.p95Ms)} ≥ ${row.p95TargetInMillis} ms`);
  }
  if (row.success === 'missed' && figures) {
    misses.push(`${row.endpoint} success ${formatPercent(figures.successRate)} < ${row.successMinimumPercent} %`);
  }
  if (row.expected && (figures?.requests ?? 0) === 0) {
    misses.push(`${row.endpoint} got no requests`);
  }
  return misses;
}

interface Fact {
  label: string;
  value: string;
  detail?: string;
  state?: 'good' | 'bad';
  /** Takes two grid columns: for values too long for one. */
  wide?: boolean;
}

function factsHtml(summary: LoadSummary, spec: SloSpec): string {
  const duration = summary.durationSeconds;
  const achievedRate = duration > 0 ? summary.iterations.started / duration : 0;
  const due = summary.iterations.started + summary.iterations.dropped;
  const { total, failed } = summary.requests;
  const errorPercent = failedPercent(failed, total);
  const errorBudget = spec.errorRate.maximumPercent;
  const facts: Fact[] = [
    { label: 'Requested rate', value: `${formatCount(summary.requestedRate)} it/s`, detail: 'peak, all traffic parts' },
    {
      label: 'Achieved rate',
      value: `${formatCount(achievedRate)} it/s`,
      detail: `mean started; ${formatCount(summary.eventsAccepted.ratePerSecond)} events/s accepted`,
    },
    {
      label: 'Requests',
      value: formatCount(total),
      detail: `${formatCount(summary.requests.ratePerSecond)}/s; ${formatCount(summary.eventsAccepted.count)} events accepted`,
    },
    {
      label: 'Success',
      value: total > 0 ? formatPercent(summary.requests.successRate) : '–',
      detail: `errors ${formatNumber(errorPercent, 3)} % (SLO < ${errorBudget} %)`,
      state: total > 0 && errorPercent < errorBudget ? 'good' : 'bad',
    },
    {
      label: 'Dropped iterations',
      value: formatCount(summary.iterations.dropped),
      detail: `${formatNumber(due > 0 ? (summary.iterations.dropped / due) * 100 : 0, 2)} % of due`,
      state: summary.iterations.dropped === 0 ? 'good' : 'bad',
    },
  ];
  if (summary.knee !== undefined || measuresKnee(SCENARIOS[summary.scenario])) facts.push(kneeFact(summary.knee));
  return `<section class="facts">
${facts.map(factHtml).join('\n')}
</section>`;
}

/** Who sent the traffic where, and when: one line under the title. */
function runHtml(summary: LoadSummary): string {
  const items: [string, string][] = [
    ['Generator', summary.generator === 'k6' ? 'k6' : 'local runner'],
    ['Target', summary.target],
    ['Started', formatDate(summary.startedAt)],
    ['Duration', formatDuration(summary.durationSeconds)],
  ];
  return `<dl class="run">${items.map(([term, value]) => `<div><dt>${term}</dt><dd>${escapeHtml(value)}</dd></div>`).join('')}</dl>`;
}

function kneeFact(knee: LoadSummary['knee']): Fact {
  if (knee === undefined) {
    return { label: 'Knee', value: 'not measured', detail: 'this summary has no per-window figures', state: 'bad' };
  }
  if (knee === null) {
    return {
      label: 'Knee',
      value: 'none',
      detail: 'measured: p95, errors and dropped iterations held in every 5-second window',
      state: 'good',
    };
  }
  return {
    label: 'Knee',
    value: `at ${formatCount(knee.atSeconds)} s`,
    detail: `asked ${formatCount(knee.targetRate)} it/s, accepted ${formatCount(knee.achievedRate)} events/s: ${knee.reason}`,
    state: 'bad',
    wide: true,
  };
}

function factHtml(fact: Fact): string {
  const state = fact.state ? ` data-state="${fact.state}"` : '';
  const wide = fact.wide ? ' wide' : '';
  const detail = fact.detail ? `<span class="detail">${escapeHtml(fact.detail)}</span>` : '';
  return `<div class="fact${wide}"${state}><span class="label">${escapeHtml(fact.label)}</span><span class="value">${escapeHtml(fact.value)}</span>${detail}</div>`;
}

function endpointTableHtml(rows: EndpointRow[]): string {
  const header = ['Endpoint', 'Requests', 'Failed', 'Success', 'p50', 'p95', 'p99', 'max', 'p95 target', 'p95 SLO'];
  return `<table class="endpoints">
<thead><tr>${header.map((cell) => `<th>${cell}</th>`).join('')}</tr></thead>
<tbody>
${rows.map(endpointRowHtml).join('\n')}
</tbody>
</table>`;
}

function endpointRowHtml(row: EndpointRow): string {
  const figures = row.summary;
  const latency: Partial<LatencyFigures> = figures?.latency ?? {};
  const ms = (value: number | undefined) => (value === undefined ? '–' : formatMs(value));
  const requests = figures?.requests ?? 0;
  const cells = [
    `<td class="endpoint">${escapeHtml(row.endpoint)}${figures ? `<span class="statuses">${escapeHtml(formatStatuses(figures.byStatus))}</span>` : ''}</td>`,
    `<td>${formatCount(requests)}</td>`,
    `<td>${formatCount(figures?.failed ?? 0)}</td>`,
    `<td${stateAttribute(row.success)}>${requests > 0 && figures ? formatPercent(figures.successRate) : '–'}</td>`,
    `<td>${ms(latency.p50Ms)}</td>`,
    `<td${stateAttribute(row.p95)}>${ms(latency.p95Ms)}</td>`,
    `<td>${ms(latency.p99Ms)}</td>`,
    `<td>${ms(latency.maxMs)}</td>`,
    `<td>${row.p95TargetInMillis === undefined ? '–' : `&lt; ${row.p95TargetInMillis} ms`}</td>`,
    `<td class="status"${stateAttribute(row.p95)}>${row.p95 === 'no objective' ? '–' : row.p95}</td>`,
  ];
  return `<tr data-endpoint="${escapeHtml(row.endpoint)}">${cells.join('')}</tr>`;
}

function stateAttribute(status: ObjectiveStatus): string {
  if (status === 'holds') return ' data-state="good"';
  return status === 'missed' || status === 'no samples' ? ' data-state="bad"' : '';
}

function chartsHtml(summary: LoadSummary): string {
  const targets = exercisedLatencyObjectives(summary).length > 0;
  const unit = timelinePointSeconds(summary) === 1 ? 'second' : `${timelinePointSeconds(summary)}-second window`;
  return `<p class="note">Latency is over all requests of each ${unit}${targets ? '; dashed red lines are the p95 targets of the endpoints this scenario exercises' : ''}. Failed requests use the right axis of the throughput chart.${summary.knee ? ' The dashed brown line marks the knee.' : ''}</p>
<div class="chart" data-chart="latency"></div>
<div class="chart" data-chart="throughput"></div>`;
}

function serverHtml(server: NonNullable<LoadSummary['server']>): string {
  const ms = (value: number | undefined) => (value === undefined ? '–' : formatMs(value));
  const rows = Object.entries(server.endpoints).map(
    ([endpoint, figures]) =>
      `<tr><td class="endpoint">${escapeHtml(endpoint)}</td><td>${formatCount(figures.requests)}</td><td>${formatCount(figures.errors)}</td><td>${ms(figures.latency?.p50Ms)}</td><td>${ms(figures.latency?.p95Ms)}</td><td>${ms(figures.latency?.p99Ms)}</td></tr>`,
  );
  return `<h2>As the API measured it</h2>
<p class="note">Totals since the API started (<code>GET /dashboard/data</code>), so they include any traffic before the run.
Events accepted: ${formatCount(server.eventsAccepted)}; event lookups by index: ${formatCount(server.lookups.gsi)}, by scan: ${formatCount(server.lookups.scan)}.</p>
<table class="endpoints server">
<thead><tr><th>Endpoint</th><th>Requests</th><th>Errors</th><th>p50</th><th>p95</th><th>p99</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}

const PAGE_CSS = `
  :root { color-scheme: light; }
  body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 0; color: #1f2328; background: #fff; }
  main { max-width: 1200px; margin: 0 auto; padding: 20px 28px 28px; }
  h1 { font-size: 22px; margin: 0 0 4px; }
  h2 { font-size: 16px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 1px solid #d0d7de; }
  .lede { margin: 0 0 10px; color: #57606a; }
  .verdict { display: inline-block; margin: 0; padding: 6px 12px; border-radius: 6px; font-weight: 600; }
  .verdict[data-verdict="held"] { background: #dafbe1; color: #116329; }
  .verdict[data-verdict="missed"] { background: #ffebe9; color: #a40e26; }
  .run { display: flex; flex-wrap: wrap; gap: 4px 24px; margin: 14px 0 0; font-size: 14px; }
  .run div { display: flex; gap: 6px; }
  .run dt { color: #57606a; }
  .run dd { margin: 0; font-weight: 600; }
  .facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 10px; margin-top: 16px; }
  .fact { border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 12px; display: flex; flex-direction: column; min-width: 0; }
  .fact .label { font-size: 12px; color: #57606a; text-transform: uppercase; letter-spacing: 0.03em; }
  .fact.wide { grid-column: span 2; }
  .fact .value { font-size: 18px; font-weight: 600; overflow-wrap: anywhere; }
  .fact .detail { font-size: 12px; color: #57606a; }
  .fact[data-state="good"] { border-left: 4px solid #1a7f37; }
  .fact[data-state="bad"] { border-left: 4px solid #cf222e; }
  table { border-collapse: collapse; width: 100%; font-size: 14px; font-variant-numeric: tabular-nums; }
  th, td { padding: 6px 10px; text-align: right; border-bottom: 1px solid #d8dee4; white-space: nowrap; }
  th { font-size: 12px; color: #57606a; font-weight: 600; background: #f6f8fa; }
  th:first-child, td.endpoint { text-align: left; }
  td.endpoint { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
  td .statuses { display: block; font-family: system-ui, sans-serif; font-size: 11px; color: #57606a; }
  td[data-state="good"] { color: #116329; }
  td[data-state="bad"] { color: #a40e26; font-weight: 600; }
  td.status[data-state="good"] { background: #dafbe1; }
  td.status[data-state="bad"] { background: #ffebe9; }
  .note { font-size: 13px; color: #57606a; margin: 6px 0 10px; }
  .chart { margin: 8px 0 20px; position: relative; }
  .uplot .u-title { font-size: 15px; font-weight: 600; }
  .uplot .u-legend { font-size: 12px; }
  /* Legend values follow the cursor; without one (a printout, a screenshot) they would all read '--'. */
  .uplot:not(:hover) .u-legend .u-value, .uplot:not(:hover) .u-legend .u-series:first-child { display: none; }
  .uplot:not(:hover) .u-legend th::after { content: none; }
  .marker { position: absolute; top: 0; bottom: 0; border-left: 2px dashed #953800; pointer-events: none; }
  .marker span { position: absolute; top: 2px; left: 4px; font-size: 12px; color: #953800; background: rgba(255, 255, 255, 0.85); padding: 0 3px; white-space: nowrap; }
  footer { margin-top: 28px; font-size: 12px; color: #57606a; }
`;

const assetCache = new Map<string, string>();

/** A file inlined into the page, read once per process. */
function readAsset(file: string): string {
  let text = assetCache.get(file);
  if (text === undefined) {
    text = readFileSync(file, 'utf8');
    assetCache.set(file, text);
  }
  return text;
}

/** JavaScript for an inline `<script>`, which ends at the first `</script` whatever the JS means by it. */
function inlineScript(js: string): string {
  if (/<\/script/i.test(js)) throw new Error('An inlined script contains "</script" and would end its element early');
  return js;
}

/** JSON safe inside a `<script type="application/json">`: no `<` that could close the element. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const numberFormats = new Map<number, Intl.NumberFormat>();

function formatNumber(value: number, maximumFractionDigits: number): string {
  let format = numberFormats.get(maximumFractionDigits);
  if (!format) {
    format = new Intl.NumberFormat('en-US', { maximumFractionDigits });
    numberFormats.set(maximumFractionDigits, format);
  }
  return format.format(value);
}

function formatCount(value: number): string {
  return formatNumber(value, value < 10 && !Number.isInteger(value) ? 1 : 0);
}

function formatMs(value: number): string {
  return `${formatNumber(value, value < 10 ? 2 : value < 100 ? 1 : 0)} ms`;
}

/** A 0-1 rate as a percentage, rounded down so that a rate just under an objective never reads as meeting it. */
function formatPercent(rate: number): string {
  return `${formatNumber(Math.floor(rate * 10_000) / 100, 2)} %`;
}

function failedPercent(failed: number, requests: number): number {
  return requests > 0 ? (failed / requests) * 100 : 0;
}

function formatStatuses(byStatus: Record<string, number>): string {
  return Object.entries(byStatus)
    .sort(([, a], [, b]) => b - a)
    .map(([status, count]) => `${status === '0' ? 'no response' : status} × ${formatCount(count)}`)
    .join(' · ');
}

function formatDate(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function formatDuration(seconds: number): string {
  if (seconds < 120) return `${formatCount(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  const rest = Math.round(seconds - minutes * 60);
  return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`;
}
