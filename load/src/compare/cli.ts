/**
 * `npm run load:compare -- <summary.json> [--baseline <file>] [tolerance flags] [--markdown-out <file>]`:
 * the load regression gate. Prints the verdict as markdown; exits 0 on pass, 1 on fail, 2 on bad input.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { InvalidSummaryError, readSummary } from '../summary-schema';
import { DEFAULT_TOLERANCES, ScenarioMismatchError, compareRun, type CompareTolerances } from './compare';
import { renderVerdictMarkdown } from './markdown';

/** Flag -> the tolerance it overrides; every tolerance has one. */
const TOLERANCE_FLAGS = {
  'p95-tolerance': 'p95IncreasePercent',
  'p95-floor-ms': 'p95FloorMillis',
  'throughput-tolerance': 'throughputDropPercent',
  'success-rate-tolerance': 'successRateDropPoints',
  'knee-tolerance': 'kneeDropPercent',
  'dropped-tolerance': 'droppedIterationsPercent',
} as const satisfies Record<string, keyof CompareTolerances>;

type ToleranceFlag = keyof typeof TOLERANCE_FLAGS;

const USAGE = [
  'usage: npm run load:compare -- <summary.json> [--baseline load/baselines/<scenario>.json] [--markdown-out <file>]',
  ...Object.entries(TOLERANCE_FLAGS).map(
    ([flag, key]) => `         [--${flag} <n>]  default ${DEFAULT_TOLERANCES[key]}`,
  ),
  'Without --baseline, load/baselines/<scenario>.json is used when it exists, else the absolute gates only.',
  'Exit codes: 0 pass, 1 regression or SLO breach, 2 usage error or invalid input.',
].join('\n');

/** Exit codes of the gate. */
export const EXIT = { pass: 0, fail: 1, invalidInput: 2 } as const;

/** The command line could not be understood. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Parsed command line. */
export interface CompareArgs {
  readonly summaryPath: string;
  readonly baselinePath?: string;
  readonly markdownOut?: string;
  readonly tolerances: Partial<CompareTolerances>;
  readonly help: boolean;
}

/** What the CLI touches outside its arguments, injectable for tests. */
export interface CompareCliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** The folder of committed `<scenario>.json` baselines. */
  readonly baselinesDir: string;
  /** Paths in the output are shown relative to this folder. */
  readonly cwd: string;
}

/** Reads the summary path, `--baseline`, `--markdown-out` and the tolerance flags; throws `UsageError`. */
export function parseCompareArgs(argv: readonly string[]): CompareArgs {
  const toleranceOptions = Object.fromEntries(
    Object.keys(TOLERANCE_FLAGS).map((flag) => [flag, { type: 'string' as const }]),
  ) as Record<ToleranceFlag, { type: 'string' }>;
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        baseline: { type: 'string' },
        'markdown-out': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        ...toleranceOptions,
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { summaryPath: '', tolerances: {}, help: true };
  if (positionals.length !== 1) {
    throw new UsageError(`expected one summary file, got ${positionals.length}: ${positionals.join(' ') || '(none)'}`);
  }
  const tolerances: Partial<Record<keyof CompareTolerances, number>> = {};
  for (const [flag, key] of Object.entries(TOLERANCE_FLAGS) as [ToleranceFlag, keyof CompareTolerances][]) {
    const text = values[flag];
    if (text !== undefined) tolerances[key] = parseTolerance(flag, text);
  }
  return {
    summaryPath: positionals[0] ?? '',
    ...(values.baseline !== undefined && { baselinePath: values.baseline }),
    ...(values['markdown-out'] !== undefined && { markdownOut: values['markdown-out'] }),
    tolerances,
    help: false,
  };
}

function parseTolerance(flag: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) {
    throw new UsageError(`--${flag} must be a number >= 0, got '${text}'`);
  }
  return value;
}

/** Runs the gate and returns the exit code; the verdict goes to `out`, problems with the input to `err`. */
export function runCompareCli(argv: readonly string[], io: CompareCliIo): number {
  try {
    const args = parseCompareArgs(argv);
    if (args.help) {
      io.out(`${USAGE}\n`);
      return EXIT.pass;
    }
    const current = readSummary(args.summaryPath);
    const defaultBaseline = join(io.baselinesDir, `${current.scenario}.json`);
    const baselinePath = args.baselinePath ?? (existsSync(defaultBaseline) ? defaultBaseline : undefined);
    const baseline = baselinePath === undefined ? undefined : readSummary(baselinePath);
    const verdict = compareRun(current, baseline, { tolerances: args.tolerances });
    const shownDefault = relative(io.cwd, defaultBaseline);
    const markdown = renderVerdictMarkdown(verdict, {
      summaryPath: args.summaryPath,
      ...(baselinePath !== undefined && { baselinePath: args.baselinePath ?? shownDefault }),
      ...(baselinePath === undefined && {
        notes: [`No --baseline given and no ${shownDefault}: absolute gates only, no regression check.`],
      }),
    });
    io.out(markdown);
    if (args.markdownOut !== undefined) writeFileSync(args.markdownOut, markdown);
    return verdict.pass ? EXIT.pass : EXIT.fail;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`load:compare: ${error.message}\n${USAGE}\n`);
      return EXIT.invalidInput;
    }
    if (error instanceof InvalidSummaryError || error instanceof ScenarioMismatchError) {
      io.err(`load:compare: ${error.message}\n`);
      return EXIT.invalidInput;
    }
    throw error;
  }
}

function main(): void {
  try {
    process.exitCode = runCompareCli(process.argv.slice(2), {
      out: (text) => process.stdout.write(text),
      err: (text) => process.stderr.write(text),
      baselinesDir: join(__dirname, '..', '..', 'baselines'),
      cwd: process.cwd(),
    });
  } catch (error) {
    // Not a verdict: exit 1 would read as a regression.
    process.stderr.write(`load:compare: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = EXIT.invalidInput;
  }
}

if (require.main === module) main();
