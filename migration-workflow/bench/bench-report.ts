import { median, type RunResult } from '../../tooling/load-generators';
import { fmt, say } from './bench-processes';
import type { Measured } from './lookup-phase';
import type { MigrationTiming } from './migrate-phase';
import type { Target } from './seed-phase';

/** The slice whose p95 is the median one (lower middle for an even count). */
function medianByP95(runs: RunResult[]): RunResult {
  const sorted = [...runs].sort((a, b) => a.latency.p95Ms - b.latency.p95Ms);
  const chosen = sorted[Math.floor((sorted.length - 1) / 2)];
  if (!chosen) throw new Error('no runs');
  return chosen;
}

const mean = (numbers: number[]): number => numbers.reduce((sum, n) => sum + n, 0) / Math.max(1, numbers.length);

/** Cells padded to their widths: positive right-aligns, negative left-aligns. */
function row(cells: [string, number][]): string {
  return cells.map(([text, width]) => (width < 0 ? text.padEnd(-width) : text.padStart(width))).join(' ');
}

/** The table of each table's migration. */
export function printMigrations(targets: Target[], migrations: Map<Target, MigrationTiming>): void {
  say('Migration of each table (the synthesized state machine run locally):');
  say(
    row([
      ['items', 8],
      ['eventItems', 11],
      ['indexedItems', 13],
      ['backfilled', 11],
      ['total s', 8],
      ['backfill s', 11],
      ['items/s', 8],
      ['  other processes, cores', -1],
    ]),
  );
  for (const t of targets) {
    const m = migrations.get(t);
    if (!m) continue;
    say(
      row([
        [fmt(t.items), 8],
        [fmt(m.report.belongingItems), 11],
        [fmt(m.report.indexedItems), 13],
        [fmt(m.backfilled), 11],
        [m.totalS.toFixed(1), 8],
        [m.backfillS.toFixed(1), 11],
        [fmt(m.backfilled / m.backfillS), 8],
        [`  ${m.cores.others.toFixed(2)}`, -1],
      ]),
    );
  }
}

/**
 * The table of lookups (the median slice by p95 where there are several); returns each `label/method`'s
 * p95 and the lookups that failed.
 */
export function printLookups(
  measured: Measured[],
  rates: { scan: number; gsi: number },
): { p95: Map<string, number>; failures: number } {
  say('GET /v1/events/{id} of random events of one tenant, latency from the scheduled time (open model):');
  say(
    row([
      ['items', 8],
      ['method', -6],
      ['rate/s', 6],
      ['lookups', 8],
      ['ok', 6],
      ['p50 ms', 7],
      ['p95 ms', 7],
      ['p99 ms', 7],
      ['max ms', 7],
      ['  API counted gsi/scan', -1],
      ['  other processes, cores', -1],
    ]),
  );
  const p95 = new Map<string, number>();
  let failures = 0;
  for (const m of measured) {
    const shown = m.runs.length === 1 ? m.runs[0] : medianByP95(m.runs);
    if (!shown) continue;
    const sent = m.runs.reduce((sum, r) => sum + r.sent, 0);
    const ok = m.runs.reduce((sum, r) => sum + r.succeeded, 0);
    failures += sent - ok;
    p95.set(`${m.target.label}/${m.method}`, shown.latency.p95Ms);
    const reasons = m.runs.filter((r) => Object.keys(r.failuresByReason).length > 0).map((r) => r.failuresByReason);
    say(
      row([
        [fmt(m.target.items), 8],
        [m.method, -6],
        [fmt(rates[m.method]), 6],
        [fmt(sent), 8],
        [fmt(ok), 6],
        [shown.latency.p50Ms.toFixed(1), 7],
        [shown.latency.p95Ms.toFixed(1), 7],
        [shown.latency.p99Ms.toFixed(1), 7],
        [shown.latency.maxMs.toFixed(1), 7],
        [`  ${m.byMethod.gsi}/${m.byMethod.scan}`.padEnd(22), -1],
        [`  ${mean(m.othersCores).toFixed(2)}`, -1],
        [m.runs.length > 1 ? `  (median slice of ${m.runs.length} by p95)` : '', -1],
        [reasons.length > 0 ? `  failures: ${JSON.stringify(reasons)}` : '', -1],
      ]),
    );
  }
  return { p95, failures };
}

/** How the large table's p95 compares with the small one's, and the benchmark's targets met or not. */
export function printRatiosAndTargets(input: {
  small: Target;
  large: Target;
  smallSlices: RunResult[];
  largeSlices: RunResult[];
  p95: Map<string, number>;
  migration: MigrationTiming | undefined;
}): void {
  const { small, large, smallSlices, largeSlices, p95, migration } = input;
  // Index: the median of the per-slice ratios (both tables measured at the same time); scan: one run each.
  const ratios = {
    gsi: median(largeSlices.map((r, i) => r.latency.p95Ms / (smallSlices[i]?.latency.p95Ms ?? Number.NaN))),
    scan: (p95.get('large/scan') ?? Number.NaN) / (p95.get('small/scan') ?? Number.NaN),
  };
  const perSlice = (runs: RunResult[]): string => runs.map((r) => r.latency.p95Ms.toFixed(1)).join(', ');
  say('');
  say(
    `index p95 per slice, ms: ${fmt(small.items)} items: ${perSlice(smallSlices)}; ${fmt(large.items)} items: ${perSlice(largeSlices)}`,
  );
  say(
    `p95(${fmt(large.items)}) / p95(${fmt(small.items)}): index ${ratios.gsi.toFixed(2)} (median of the per-slice ratios), scan ${ratios.scan.toFixed(2)}`,
  );

  const rate = migration ? migration.backfilled / migration.backfillS : 0;
  const largeIndexP95 = p95.get('large/gsi') ?? Number.NaN;
  say('');
  say('Targets:');
  const check = (label: string, met: boolean, detail: string): void =>
    say(`  ${label}: ${met ? 'met' : 'NOT met'} (${detail})`);
  check('backfill >= 1,500 items/s', rate >= 1500, `${fmt(rate)} items/s on ${fmt(large.items)} items`);
  check(`index p95 < 50 ms at ${fmt(large.items)} items`, largeIndexP95 < 50, `${largeIndexP95.toFixed(1)} ms`);
  check('index p95 ratio <= 1.5', ratios.gsi <= 1.5, ratios.gsi.toFixed(2));
  check('the scan grows with the table', ratios.scan > 1.5, `p95 ratio ${ratios.scan.toFixed(2)}`);
}
