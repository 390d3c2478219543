/** The drill's results as a markdown table, readable as plain text too. */
import { drillFailed, type AlarmDrillResult } from './run-alarm-drill';

const HEADER = ['Alarm', 'Type', 'State pushed', 'Actions fired', 'Back to OK', 'Result', 'Error'];

/** One row per alarm, in drill order, and a closing line counting the failures. */
export function renderDrillTable(results: readonly AlarmDrillResult[]): string {
  const rows = results.map((result) => [
    result.alarmName,
    result.alarmType,
    result.pushedToAlarm ? 'ALARM' : 'no',
    result.actionsFired,
    result.backToOk,
    drillFailed(result) ? 'FAILED' : 'ok',
    result.error ?? '',
  ]);
  const failures = results.filter(drillFailed).length;
  const summary = `${results.length} alarm(s) drilled, ${failures} failed.`;
  const cells = [HEADER, ...rows].map((cellsOfRow) => cellsOfRow.map(escapeCell));
  const widths = HEADER.map((_, column) => Math.max(3, ...cells.map((cellsOfRow) => cellsOfRow[column]?.length ?? 0)));
  const line = (cellsOfRow: readonly string[]): string =>
    `| ${cellsOfRow.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  const [header = [], ...body] = cells;
  const divider = widths.map((width) => '-'.repeat(width));
  return [line(header), line(divider), ...body.map(line), '', summary, ''].join('\n');
}

// Pipes inside a cell would split it into two columns; newlines would end the row.
function escapeCell(cell: string): string {
  return cell.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
