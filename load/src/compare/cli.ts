/**
 * `npm run load:compare -- <summary.json> [--baseline <file>] [tolerance flags] [--markdown-out <file>]`:
 * the load regression gate. Prints the verdict as markdown; exits 0 on pass, 1 on fail, 2 on bad input.
 */
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import type { LoadSummary } from '../../scenarios/summary-format';
import { chooseBaseline, readBaselines } from '../baselines';
import { InvalidSummaryError, readSummary } from '../summary-schema';
import { RECORD_BASELINES_COMMAND } from './comparability';
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
  'usage: npm run load:compare -- <summary.json> [--baseline <file>] [--markdown-out <file>]',
  ...Object.entries(TOLERANCE_FLAGS).map(
    ([flag, key]) => `         [--${flag} <n>]  default ${DEFAULT_TOLERANCES[key]}`,
  ),
  'Without --baseline, the comparable baseline under load/baselines/ is used (same scenario, generator, target kind,',
  'machine class and requested rate); when there is none, the SLO gates only.',
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
  /** The folder of committed baselines (`<machine class>/<generator>/<scenario>.json`). */
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
    const given = args.baselinePath === undefined ? undefined : readSummary(args.baselinePath);
    const found = given ? undefined : findBaseline(current, io);
    const baseline = given ?? found?.summary;
    const verdict = compareRun(current, baseline, { tolerances: args.tolerances });
    const markdown = renderVerdictMarkdown(verdict, {
      summaryPath: args.summaryPath,
      ...(args.baselinePath !== undefined && { baselinePath: args.baselinePath }),
      ...(found?.path !== undefined && { baselinePath: relative(io.cwd, found.path) }),
      ...(found && { notes: found.notes }),
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

/** The comparable baseline under `io.baselinesDir`, with notes saying how it was chosen or why none was. */
function findBaseline(
  current: LoadSummary,
  io: CompareCliIo,
): { path?: string; summary?: LoadSummary; notes: string[] } {
  const folder = relative(io.cwd, io.baselinesDir) || '.';
  const choice = chooseBaseline(current, readBaselines(io.baselinesDir));
  const unreadable = choice.unreadable.map(
    ({ path, problem }) =>
      `Skipped \`${relative(io.cwd, path)}\` under ${folder}/: not a valid load summary (${problem}).`,
  );
  if (choice.chosen) {
    return {
      ...choice.chosen,
      notes: [
        `Baseline chosen in ${folder}/: recorded with the same generator, target kind, machine class and requested rate.`,
        ...unreadable,
      ],
    };
  }
  const run = `${current.scenario}, ${current.generator}, ${current.targetKind ?? 'unknown target kind'}, ${current.machineClass ?? 'unknown machine class'}, ${current.requestedRate.toLocaleString('en-US')}/s`;
  return {
    notes: [
      `No comparable baseline in ${folder}/ for this run (${run}): SLO gates only, no regression check. \`${RECORD_BASELINES_COMMAND}\` records the baselines of this machine class.`,
      ...choice.passedOver.map(
        ({ path, reasons }) => `Not comparable: \`${relative(io.cwd, path)}\`: ${reasons.join('; ')}.`,
      ),
      ...unreadable,
    ],
  };
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
