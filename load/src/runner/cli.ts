import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { startServerProcess, type ServerProcess } from '../../../tooling/server-process';
import { measuresKnee } from '../../scenarios/knee';
import {
  parseDuration,
  SCENARIO_NAMES,
  SCENARIOS,
  withRate,
  type ScenarioName,
  type ScenarioSpec,
} from '../../scenarios/scenarios';
import type { LoadSummary, TargetKind } from '../../scenarios/summary-format';
import { runK6 } from './k6-generator';
import { MACHINE_CLASS_VARIABLE, machineClassForCli } from './machine-class';
import { createPool, runScenario } from './run-scenario';
import { readServerFigures, serverFiguresBetween } from './server-figures';

export const USAGE = `Usage: npm run load -- --scenario <${SCENARIO_NAMES.join('|')}> [options]

Options:
  --target <url>      the API to load (default: start the API with its embedded engine, as npm start does)
  --api-key <key>     API key for --target (default: API_KEY)
  --rate <n>          iterations/s of the scenario's main traffic (peak, for the stress ramp); others scale
  --duration <60s>    run length (default: the scenario's)
  --warmup <5s>       the same traffic at the starting rate before measuring (default 5s; 0 to skip)
  --generator <local|k6>
                      who sends the traffic: this runner (default) or the scenario's k6 script (k6 on PATH)
  --out <file>        summary JSON (default: load/results/<scenario>-<time>.json)
  --report            also write the HTML and PNG report next to the summary

The summary records what makes runs comparable: the generator, the kind of target (started-by-runner,
or given-url with --target) and the machine class (OS, arch, CPUs, memory; ${MACHINE_CLASS_VARIABLE} names it instead).
`;

export interface LoadCliDeps {
  env: Record<string, string | undefined>;
  out: (line: string) => void;
  err: (line: string) => void;
}

/** `npm run load`: resolves the exit code (0 run completed, 2 usage error); the verdict is `load:compare`'s job. */
export async function runLoadCli(argv: string[], deps: LoadCliDeps): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string' },
      target: { type: 'string' },
      'api-key': { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string', default: '5s' },
      out: { type: 'string' },
      generator: { type: 'string', default: 'local' },
      report: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    deps.out(USAGE);
    return 0;
  }
  const name = values.scenario as ScenarioName | undefined;
  if (!name || !SCENARIO_NAMES.includes(name)) {
    deps.err(`--scenario must be one of ${SCENARIO_NAMES.join(', ')}\n${USAGE}`);
    return 2;
  }
  let spec = SCENARIOS[name];
  let durationSeconds = spec.durationSeconds;
  let warmupSeconds: number;
  try {
    warmupSeconds = parseDuration(values.warmup);
    if (values.duration) durationSeconds = parseDuration(values.duration);
    if (values.rate) {
      const rate = Number(values.rate);
      if (!(rate > 0)) throw new Error(`--rate must be a positive number; received '${values.rate}'`);
      spec = withRate(spec, rate);
    }
  } catch (error) {
    deps.err((error as Error).message);
    return 2;
  }
  if (values.generator !== 'local' && values.generator !== 'k6') {
    deps.err(`--generator must be local or k6; received '${values.generator}'`);
    return 2;
  }
  // Empty values count as unset: a workflow passes its optional inputs through as empty strings.
  const apiKey = values['api-key'] || deps.env.API_KEY || undefined;
  const targetUrl = values.target || undefined;
  if (targetUrl && !apiKey) {
    deps.err('--target needs an API key: --api-key <key> or API_KEY');
    return 2;
  }
  const machine = machineClassForCli(deps.env, deps.err);
  if (machine === undefined) return 2;
  const targetKind: TargetKind = targetUrl ? 'given-url' : 'started-by-runner';

  let server: ServerProcess | undefined;
  try {
    if (!targetUrl) {
      deps.err('Starting the API with its embedded engine (as npm start does)...');
      server = await startServerProcess({}, { outputFile: join(tmpdir(), `triggers-api-load-${process.pid}.log`) });
    }
    const target = targetUrl ?? server?.url ?? '';
    const key = apiKey ?? server?.apiKey ?? '';
    const pool = createPool(target);
    if (warmupSeconds > 0) {
      deps.err(`Warming up for ${warmupSeconds}s at the starting rate (not measured)...`);
      await runScenario({ spec: startingRate(spec), target, apiKey: key, durationSeconds: warmupSeconds, pool });
    }
    const before = server ? await readServerFigures(target) : undefined;
    const file =
      values.out ?? join('load', 'results', `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    mkdirSync(dirname(file), { recursive: true });
    deps.err(`Running ${name} with the ${values.generator} generator against ${target} for ${durationSeconds}s...`);
    const measured: LoadSummary =
      values.generator === 'k6'
        ? await runK6({
            scenario: name,
            target,
            apiKey: key,
            durationSeconds,
            summaryFile: file,
            ...(values.rate && { rate: Number(values.rate) }),
          })
        : await runScenario({ spec, target, apiKey: key, durationSeconds, progress: deps.err, pool });
    await pool.close();
    const summary = withComparability(measured, targetKind, machine);
    if (before) summary.server = serverFiguresBetween(before, await readServerFigures(target));

    writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
    deps.out(headline(summary));
    deps.out(`Summary: ${file}`);
    if (values.report) {
      const { writeReports } = await import('./reports');
      for (const written of await writeReports(file, summary)) deps.out(`Report: ${written}`);
    }
    return 0;
  } finally {
    if (server) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  }
}

/**
 * The summary with the target kind and machine class after its target, where a reader looks for them;
 * k6 writes its summary without knowing either, so they are set here for both generators.
 */
export function withComparability(summary: LoadSummary, targetKind: TargetKind, machine: string): LoadSummary {
  const { schemaVersion, scenario, generator, target } = summary;
  const leading = { schemaVersion, scenario, generator, target, targetKind, machineClass: machine };
  return { ...leading, ...summary, targetKind, machineClass: machine };
}

/** The scenario at the rate it starts with (a ramp held at its first rate): the warm-up's traffic. */
function startingRate(spec: ScenarioSpec): ScenarioSpec {
  return {
    ...spec,
    traffic: spec.traffic.map(({ stages: _stages, ...part }) => ({ ...part, executor: 'constant-arrival-rate' })),
  };
}

function headline(summary: LoadSummary): string {
  const lines = [
    `${summary.scenario}: ${summary.requests.total} requests, ${summary.requests.ratePerSecond.toFixed(1)}/s, ` +
      `success ${(100 * summary.requests.successRate).toFixed(3)} %, ` +
      `${summary.eventsAccepted.ratePerSecond.toFixed(1)} events accepted/s, ${summary.iterations.dropped} dropped`,
  ];
  for (const [endpoint, e] of Object.entries(summary.endpoints)) {
    const l = e.latency;
    lines.push(
      `  ${endpoint.padEnd(32)} ${String(e.requests).padStart(7)} req  ` +
        (l ? `p50 ${l.p50Ms.toFixed(1)}  p95 ${l.p95Ms.toFixed(1)}  p99 ${l.p99Ms.toFixed(1)} ms` : 'no responses'),
    );
  }
  if (summary.knee) {
    lines.push(`  knee at ${summary.knee.atSeconds}s, ${summary.knee.targetRate}/s asked: ${summary.knee.reason}`);
  } else if (summary.knee === null) {
    lines.push('  no knee: p95, errors and dropped iterations held in every 5-second window');
  } else if (measuresKnee(SCENARIOS[summary.scenario])) {
    lines.push('  knee not measured: the summary has no per-window figures');
  }
  lines.push(`  ${summary.generator}, ${summary.targetKind} target, machine class ${summary.machineClass}`);
  return lines.join('\n');
}
