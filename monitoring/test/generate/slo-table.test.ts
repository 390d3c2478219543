import { SLO_SPEC, type SloSpec } from '../../../contract/slo-spec';
import { renderSloTable } from '../../generate/slo-table';

const withIngestP95 = (targetInMillis: number): SloSpec => ({
  ...SLO_SPEC,
  latency: SLO_SPEC.latency.map((o) => (o.endpoint === 'POST /v1/events' ? { ...o, targetInMillis } : o)),
});

/** Table rows with prettier's column padding collapsed. */
const rowsOf = (table: string): string[] =>
  table
    .split('\n')
    .filter((line) => line.startsWith('| '))
    .map((line) => line.replace(/ +\|/g, ' |'));

describe('the SLO table', () => {
  it('has a latency row with its target, alarm and burn-rate tiers', () => {
    expect(rowsOf(renderSloTable(SLO_SPEC))).toContain(
      '| Latency | `POST /v1/events` | p95 < 100 ms | `<prefix>-latency-p95-post-v1-events`: p95 > 100 ms in 3 of 3 periods of 5 min | fast-burn, medium-burn, slow-burn (budget 5 %) |',
    );
  });

  it('changes only the ingest latency row when the ingest p95 tightens from 100 to 80 ms', () => {
    const before = rowsOf(renderSloTable(SLO_SPEC));
    const after = rowsOf(renderSloTable(withIngestP95(80)));

    const changed = after.filter((row) => !before.includes(row));
    expect(changed).toEqual([
      '| Latency | `POST /v1/events` | p95 < 80 ms | `<prefix>-latency-p95-post-v1-events`: p95 > 80 ms in 3 of 3 periods of 5 min | fast-burn, medium-burn, slow-burn (budget 5 %) |',
    ]);
    expect(after).toHaveLength(before.length);
  });

  it.each([
    ['fast-burn', 'page', '14.4x', '1 h', '5 min', '2 %', '348 / 50', 'never suppressed'],
    ['medium-burn', 'page', '6x', '6 h', '30 min', '5 %', '834 / 50', '35 min'],
    ['slow-burn', 'ticket', '1x', '3 d', '6 h', '10 %', '5000 / 100', '6 h 5 min'],
  ])('lists the %s tier with its severity, factor, windows, budget spent, guard and suppression', (...cells) => {
    const [name, ...rest] = cells;
    expect(rowsOf(renderSloTable(SLO_SPEC))).toContain(`| \`${name}\` | ${rest.join(' | ')} |`);
  });

  it('pads every column to one width so prettier leaves the table as is', () => {
    const lines = renderSloTable(SLO_SPEC)
      .split('\n')
      .filter((line) => line.startsWith('|'));
    const tables = [
      lines.filter((line) => line.split('|').length === 7),
      lines.filter((line) => line.split('|').length === 10),
    ];

    for (const table of tables) expect(new Set(table.map((line) => line.length)).size).toBe(1);
  });

  it('has a success-rate row for every endpoint, one all-endpoint error-rate row and one ingestion row', () => {
    const rows = rowsOf(renderSloTable(SLO_SPEC));

    expect(rows.filter((row) => row.startsWith('| Success rate |'))).toHaveLength(SLO_SPEC.successRate.length);
    expect(rows.filter((row) => row.startsWith('| Error rate |'))).toEqual([
      '| Error rate | all endpoints together | <= 0.1 % 5xx | `<prefix>-error-rate-all-endpoints`: > 0.1 % in 3 of 3 periods of 5 min | none (the success-rate tiers burn the same 5xx) |',
    ]);
    expect(rows.filter((row) => row.startsWith('| Ingestion |'))).toEqual([
      '| Ingestion | `POST /v1/events` | >= 1000 events/s | `<prefix>-ingestion-absent`: no event accepted in 3 of 3 periods of 5 min (missing data breaches) | none |',
    ]);
  });
});
