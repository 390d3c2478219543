import { writeFileSync } from 'node:fs';
import type { LoadSummary } from '../../scenarios/summary-format';
import { reportHtml } from '../report/report-html';
import { writeReportPng } from '../report/report-png';

/** Writes `<summary>.html` and `<summary>.png` next to a summary file; resolves their paths. */
export async function writeReports(summaryFile: string, summary: LoadSummary): Promise<string[]> {
  const base = summaryFile.replace(/\.json$/, '');
  const html = `${base}.html`;
  const png = `${base}.png`;
  writeFileSync(html, reportHtml(summary));
  await writeReportPng(html, png);
  return [html, png];
}
