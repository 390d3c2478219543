/** Renders a load gate verdict as markdown for `$GITHUB_STEP_SUMMARY` and pull-request comments. */
import type { RowBound, RowUnit, Verdict, VerdictRow } from './compare';

/** Where the compared files came from, for the line under the headline. */
export interface VerdictSources {
  readonly summaryPath?: string;
  readonly baselinePath?: string;
  /** Remarks from the caller, e.g. that no baseline file exists for the scenario. */
  readonly notes?: readonly string[];
}

/** The verdict as markdown: a PASS/FAIL headline, one table row per metric, then the notes. */
export function renderVerdictMarkdown(verdict: Verdict, sources: VerdictSources = {}): string {
  const headline = `## Load gate: ${verdict.pass ? '✅ PASS' : '❌ FAIL'} — \`${verdict.scenario}\` (generator: ${verdict.generator})`;
  const table = [
    '| Metric | Baseline | Current | Delta | Allowed | Result |',
    '| --- | --- | --- | --- | --- | --- |',
    ...verdict.rows.map(tableRow),
  ].join('\n');
  const notes = [
    ...verdict.rows
      .filter((row) => row.note !== undefined)
      .map((row) => `${resultMark(row)} ${row.metric}: ${row.note}`),
    ...(sources.notes ?? []),
    ...verdict.notes,
  ];
  const sections = [headline, sourceLine(verdict, sources), table];
  if (notes.length > 0) sections.push(['**Notes**', '', ...notes.map((note) => `- ${note}`)].join('\n'));
  return `${sections.join('\n\n')}\n`;
}

function sourceLine(verdict: Verdict, sources: VerdictSources): string {
  const run = sources.summaryPath ? `\`${sources.summaryPath}\`` : 'This run';
  if (verdict.baselineGenerator === undefined) return `${run} against the SLO spec only (no baseline).`;
  const baseline = sources.baselinePath ? `\`${sources.baselinePath}\`` : 'the baseline';
  if (verdict.incomparable.length > 0) {
    return `${run} against the SLO spec only: ${baseline} is not a comparable baseline (why: in the notes), so the rows against it are shown but not gated.`;
  }
  return `${run} against the SLO spec and ${baseline} (generator: ${verdict.baselineGenerator}).`;
}

function tableRow(row: VerdictRow): string {
  const cells = [
    row.metric,
    row.baseline === undefined ? '—' : formatValue(row.baseline, row.unit),
    row.current === undefined ? 'no samples' : formatValue(row.current, row.unit),
    row.delta === undefined ? '—' : formatDelta(row.delta, row.unit),
    row.allowed === undefined ? '—' : formatBound(row.allowed, row.unit),
    resultMark(row),
  ];
  return `| ${cells.map(escapeCell).join(' | ')} |`;
}

function resultMark(row: VerdictRow): string {
  if (!row.gated) return row.ok ? '➖ not gated' : '⚠️ not gated';
  return row.ok ? '✅' : '❌';
}

/** A number in its unit: `12.3 ms`, `99.95 %` (ratios), `1,000.0/s`, `60,000`. */
export function formatValue(value: number, unit: RowUnit): string {
  switch (unit) {
    case 'ms':
      return `${decimal(value, value < 10 ? 2 : 1, value < 10 ? 2 : 1)} ms`;
    case 'ratio':
      return `${decimal(value * 100, 3, 2)} %`;
    case 'percent':
      return `${decimal(value, 3)} %`;
    case 'per-second':
      return `${decimal(value, 1, 1)}/s`;
    case 'count':
      return decimal(value, 0);
  }
}

function formatDelta(delta: NonNullable<VerdictRow['delta']>, unit: RowUnit): string {
  // A change in a ratio reads as percentage points; a relative percent of it would mislead.
  if (unit === 'ratio') return `${signed(delta.absolute * 100, 3)} pp`;
  const absolute = `${delta.absolute < 0 ? '-' : '+'}${formatValue(Math.abs(delta.absolute), unit)}`;
  return delta.percent === undefined ? absolute : `${absolute} (${signed(delta.percent, 1)} %)`;
}

function formatBound(bound: RowBound, unit: RowUnit): string {
  return `${bound.comparator} ${formatValue(bound.value, unit)} (${bound.basis})`;
}

function signed(value: number, digits: number): string {
  return `${value < 0 ? '-' : '+'}${decimal(Math.abs(value), digits, digits)}`;
}

function decimal(value: number, maximumFractionDigits: number, minimumFractionDigits = 0): string {
  return value.toLocaleString('en-US', { maximumFractionDigits, minimumFractionDigits });
}

function escapeCell(text: string): string {
  return text.replaceAll('|', '\\|');
}
