/**
 * `npm run load:baselines`: records the baselines of this machine class, every scenario with each
 * generator at the scenario's own rate and duration, each against an API `npm run load` starts for it,
 * into `load/baselines/<machine class>/<generator>/<scenario>.json` (load/src/baselines.ts). Meant for a
 * quiet machine: the runs take about twelve minutes, and whatever else the machine does shows in them.
 */
import { spawnSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { SCENARIO_NAMES, type ScenarioName } from '../../scenarios/scenarios';
import type { LoadSummary } from '../../scenarios/summary-format';
import { baselinePath } from '../baselines';
import { runLoadCli } from './cli';
import { MACHINE_CLASS_VARIABLE, machineClassForCli } from './machine-class';

const GENERATORS = { local: 'local-runner', k6: 'k6' } as const satisfies Record<string, LoadSummary['generator']>;
type GeneratorFlag = keyof typeof GENERATORS;

export const RECORD_USAGE = `Usage: npm run load:baselines -- [--generator local|k6] [--scenario <name>]... [--report] [--dry-run]

Records load/baselines/<machine class>/<generator>/<scenario>.json for every scenario (or those named)
with both generators (or the one named), at each scenario's default rate and duration, each run against
an API it starts itself (npm run load). The machine class is derived from this machine (OS, arch, CPUs,
memory) unless ${MACHINE_CLASS_VARIABLE} names it. The k6 runs need k6 on PATH.
  --report    also write each baseline's HTML and PNG report next to it
  --dry-run   print the runs without starting them
`;

/** One run of the recording: the scenario, the generator and the `npm run load` arguments. */
export interface BaselineRun {
  scenario: ScenarioName;
  generator: GeneratorFlag;
  path: string;
  argv: string[];
}

export interface RecordBaselinesDeps {
  env: Record<string, string | undefined>;
  out: (line: string) => void;
  err: (line: string) => void;
  /** The folder baselines go to (`load/baselines`). */
  baselinesDir: string;
  /** Paths are printed relative to this folder. */
  cwd: string;
  /** `npm run load` with these arguments; resolves its exit code. */
  runLoad: (argv: string[]) => Promise<number>;
  /** Whether `k6` can be started (checked before any run, so a missing k6 does not waste the local runs). */
  k6Available: () => boolean;
}

/** The runs that record the baselines of `machine`, in order: the local runner's first, then k6's. */
export function baselineRuns(
  machine: string,
  baselinesDir: string,
  generators: readonly GeneratorFlag[],
  scenarios: readonly ScenarioName[],
  report: boolean,
): BaselineRun[] {
  return generators.flatMap((generator) =>
    scenarios.map((scenario) => {
      const path = baselinePath(baselinesDir, { machineClass: machine, generator: GENERATORS[generator], scenario });
      return {
        scenario,
        generator,
        path,
        argv: ['--scenario', scenario, '--generator', generator, '--out', path, ...(report ? ['--report'] : [])],
      };
    }),
  );
}

/** Records the baselines; resolves 0 when every run completed, 2 on a usage error, else the failed run's code. */
export async function recordBaselines(argv: string[], deps: RecordBaselinesDeps): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        generator: { type: 'string' },
        scenario: { type: 'string', multiple: true },
        report: { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    deps.err(`${(error as Error).message}\n${RECORD_USAGE}`);
    return 2;
  }
  if (values.help) {
    deps.out(RECORD_USAGE);
    return 0;
  }
  const generator = values.generator;
  if (generator !== undefined && generator !== 'local' && generator !== 'k6') {
    deps.err(`--generator must be local or k6; received '${generator}'\n${RECORD_USAGE}`);
    return 2;
  }
  const unknown = (values.scenario ?? []).filter((name) => !(SCENARIO_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0) {
    deps.err(`--scenario must be one of ${SCENARIO_NAMES.join(', ')}; received ${unknown.join(', ')}`);
    return 2;
  }
  const machine = machineClassForCli(deps.env, deps.err);
  if (machine === undefined) return 2;
  const generators: GeneratorFlag[] = generator === undefined ? ['local', 'k6'] : [generator];
  const scenarios = (values.scenario as ScenarioName[] | undefined) ?? [...SCENARIO_NAMES];
  const runs = baselineRuns(machine, deps.baselinesDir, generators, scenarios, values.report);
  const shown = (path: string): string => relative(deps.cwd, path);

  deps.out(`Machine class: ${machine}${deps.env[MACHINE_CLASS_VARIABLE] ? ` (from ${MACHINE_CLASS_VARIABLE})` : ''}`);
  if (values['dry-run']) {
    for (const run of runs) {
      deps.out(`npm run load -- ${run.argv.map((arg) => (arg === run.path ? shown(arg) : arg)).join(' ')}`);
    }
    return 0;
  }
  if (generators.includes('k6') && !deps.k6Available()) {
    deps.err(
      'k6 is not on PATH, and the k6 baselines need it (https://grafana.com/docs/k6/latest/set-up/install-k6/); ' +
        'put it on PATH, or record the local runner’s only with --generator local',
    );
    return 2;
  }
  for (const [index, run] of runs.entries()) {
    deps.err(`[${index + 1}/${runs.length}] ${run.scenario} with ${run.generator} -> ${shown(run.path)}`);
    const code = await deps.runLoad(run.argv);
    if (code !== 0) {
      deps.err(`npm run load -- ${run.argv.join(' ')} exited with ${code}; the baselines after it were not recorded`);
      return code;
    }
  }
  deps.out(`Recorded ${runs.length} baselines under ${shown(join(deps.baselinesDir, machine))}:`);
  for (const run of runs) deps.out(`  ${shown(run.path)}`);
  deps.out('Read their reports (npm run load:report), then commit them in one pull request.');
  return 0;
}

/** `k6 version` runs. */
function k6OnPath(): boolean {
  return spawnSync('k6', ['version'], { stdio: 'ignore' }).status === 0;
}

function main(): void {
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  const err = (line: string): void => void process.stderr.write(`${line}\n`);
  recordBaselines(process.argv.slice(2), {
    env: process.env,
    out,
    err,
    baselinesDir: join(__dirname, '..', '..', 'baselines'),
    cwd: process.cwd(),
    runLoad: (argv) => runLoadCli(argv, { env: process.env, out, err }),
    k6Available: k6OnPath,
  }).then(
    (code) => process.exit(code),
    (error: unknown) => {
      err(`Error: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}

if (require.main === module) main();
