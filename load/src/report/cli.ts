/**
 * `npm run load:report -- <summary.json> [--html out.html] [--png out.png]`: turns a load summary into
 * an HTML report and a PNG of it, by default next to the summary with the same name.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ChromiumNotInstalledError } from '../../../tooling/chromium';
import { InvalidSummaryError, readSummary } from '../summary-schema';
import { reportHtml } from './report-html';
import { ReportRenderError, writeReportPng } from './report-png';

const USAGE = 'usage: npm run load:report -- <summary.json> [--html out.html] [--png out.png]';

/** A problem with the command line or the summary file; its message is meant for the user as is. */
export class ReportInputError extends Error {
  override name = 'ReportInputError';
}

/** Parsed command line, defaults filled in. */
export interface ReportArgs {
  readonly summaryPath: string;
  readonly htmlPath: string;
  readonly pngPath: string;
}

/** Reads the summary path and the output paths; throws a `ReportInputError` carrying the usage line. */
export function parseReportArgs(argv: readonly string[]): ReportArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { html: { type: 'string' }, png: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new ReportInputError(`${(error as Error).message}\n${USAGE}`);
  }
  const [summaryPath, ...extra] = parsed.positionals;
  if (!summaryPath || extra.length > 0) {
    throw new ReportInputError(`expected one summary file, got ${parsed.positionals.length}\n${USAGE}`);
  }
  const base = summaryPath.replace(/\.json$/i, '');
  return {
    summaryPath,
    htmlPath: parsed.values.html ?? `${base}.html`,
    pngPath: parsed.values.png ?? `${base}.png`,
  };
}

/** Reads and checks the summary against the summary schema, then writes its HTML report. */
export function writeHtmlReport(args: ReportArgs): void {
  writeFileSync(args.htmlPath, reportHtml(readSummary(args.summaryPath)));
}

async function main(): Promise<void> {
  try {
    const args = parseReportArgs(process.argv.slice(2));
    writeHtmlReport(args);
    process.stdout.write(`wrote ${args.htmlPath}\n`);
    await writeReportPng(args.htmlPath, args.pngPath);
    process.stdout.write(`wrote ${args.pngPath}\n`);
  } catch (error) {
    const known =
      error instanceof ReportInputError ||
      error instanceof InvalidSummaryError ||
      error instanceof ChromiumNotInstalledError ||
      error instanceof ReportRenderError;
    process.stderr.write(
      `load:report: ${known ? error.message : error instanceof Error ? error.stack : String(error)}\n`,
    );
    process.exitCode = 1;
  }
}

if (require.main === module) void main();
