/**
 * The GitHub Actions workflows: valid against the Actions schema, actions pinned to commits, least
 * privilege, thin (every `npm run` names a script that exists), and the load-test job's own commands
 * run here end to end, the local generator standing in for k6.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import { SCENARIOS } from '../../load/scenarios/scenarios';
import { syntheticSummary } from '../../load/src/synthetic-summary';
import {
  allSteps as steps,
  readWorkflow as workflow,
  REPO_ROOT,
  WORKFLOW_FILES,
  workflowSource as source,
  type Step,
  type Workflow,
} from './support/workflow-files';

const SCRIPTS = Object.keys(
  (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts,
);
/** The k6 version the project's k6 scripts are run with (a real k6 on these machines, the setup action on GitHub). */
const K6_VERSION = '1.3.0';
const runTexts = (wf: Workflow): string[] => steps(wf).flatMap((step) => (step.run === undefined ? [] : [step.run]));

/** The npm scripts a command text calls: `npm run [flags] <name>` and `npm test`. */
function npmScriptsIn(command: string): string[] {
  const named = [...command.matchAll(/\bnpm run(?:\s+--?[\w-]+)*\s+([\w:-]+)/g)].map((match) => match[1] ?? '');
  return /\bnpm test\b/.test(command) ? [...named, 'test'] : named;
}

describe('the workflow files', () => {
  it('are the five the project documents', () => {
    expect(WORKFLOW_FILES).toEqual(['ci.yml', 'deploy.yml', 'load-test.yml', 'migrate.yml', 'slo-review.yml']);
  });

  it('rejects a workflow that breaks the Actions schema, through the CLI and the library alike', () => {
    const dir = mkdtempSync(join(tmpdir(), 'workflows-test-'));
    try {
      const broken = join(dir, 'broken.yml');
      // `step` for `steps`, and a permission level that does not exist.
      writeFileSync(
        broken,
        'name: broken\non: push\npermissions:\n  contents: maybe\njobs:\n  build:\n    runs-on: ubuntu-24.04\n    step:\n      - run: npm test\n',
      );

      const cli = spawnSync(join(REPO_ROOT, 'node_modules', '.bin', 'action-validator'), [broken], {
        encoding: 'utf8',
      });

      expect(cli.status).toBe(1);
      expect(cli.stderr).toContain("Additional property 'step' is not allowed");
      expect(validateWorkflow(readFileSync(broken, 'utf8')).errors).not.toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.each(WORKFLOW_FILES)('%s', (file) => {
  it('validates against the GitHub Actions workflow schema', () => {
    expect(validateWorkflow(source(file)).errors).toEqual([]);
  });

  it('pins every action to a full commit SHA with its version in a comment', () => {
    const uses = source(file)
      .split('\n')
      .map((line) => /^\s*(?:-\s+)?uses:\s*(\S+)\s*(.*)$/.exec(line))
      .filter((match) => match !== null);

    expect(uses.length).toBe(steps(workflow(file)).filter((step) => step.uses !== undefined).length);
    for (const [, ref, comment] of uses) {
      expect(ref).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
      expect(comment).toMatch(/^# v\d+(\.\d+)*$/);
    }
  });

  it('declares its permissions at the top, granting no write access there', () => {
    const permissions = workflow(file).permissions;

    expect(permissions).toBeDefined();
    expect(Object.values(permissions as Record<string, string>).filter((level) => level !== 'read')).toEqual([]);
  });

  it('calls only npm scripts that package.json defines', () => {
    const called = runTexts(workflow(file)).flatMap(npmScriptsIn);

    expect(called.length).toBeGreaterThan(0);
    expect(called.filter((script) => !SCRIPTS.includes(script))).toEqual([]);
  });

  it('passes inputs and secrets through env, never as ${{ }} inside run text', () => {
    expect(runTexts(workflow(file)).filter((run) => run.includes('${{'))).toEqual([]);
  });

  it(`installs k6 ${K6_VERSION} wherever it installs k6`, () => {
    const versions = steps(workflow(file))
      .filter((step) => step.uses?.startsWith('grafana/setup-k6-action@'))
      .map((step) => step.with?.['k6-version']);

    expect(versions.filter((version) => version !== K6_VERSION)).toEqual([]);
  });
});

describe('ci.yml', () => {
  it(`runs the k6 script tests (npm run test:k6) in a job that installs k6 ${K6_VERSION} first`, () => {
    const k6Jobs = Object.values(workflow('ci.yml').jobs).filter((job) =>
      (job.steps ?? []).some((step) => step.run !== undefined && npmScriptsIn(step.run).includes('test:k6')),
    );

    expect(k6Jobs).toHaveLength(1);
    const jobSteps = k6Jobs[0]?.steps ?? [];
    const setup = jobSteps.findIndex((step) => step.uses?.startsWith('grafana/setup-k6-action@'));
    const tests = jobSteps.findIndex((step) => step.run?.includes('npm run test:k6'));
    expect(setup).toBeGreaterThan(-1);
    expect(jobSteps[setup]?.with?.['k6-version']).toBe(K6_VERSION);
    expect(setup).toBeLessThan(tests);
  });
});

interface PipelineRun {
  exitCode: number;
  /** The run steps that ran, in order, after the substitutions. */
  ran: string[];
  output: string;
  summary: string;
  verdict: string;
}

/** Steps that run after an earlier step failed: `if:` with always(), failure() or !cancelled(). */
const runsAfterFailure = (step: Step): boolean => /\b(always|failure)\(\)|!\s*cancelled\(\)/.test(step.if ?? '');

function runBash(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    // GitHub runs a `run:` step without `shell:` as `bash -e {0}`.
    const child = spawn('bash', ['--noprofile', '--norc', '-e', '-c', script], { cwd: REPO_ROOT, env });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/**
 * Runs the load-test job's `run:` steps in order from the repository root, as the runner would: `npm ci`
 * is skipped (the tree is installed), `--generator k6` becomes `--generator local` (no k6 here),
 * `--report` is dropped (the report needs Chromium: load/test/report/report.browser.test.ts covers it), and
 * load/results/ becomes a temporary folder. `values` stands for what the workflow's env expressions
 * (matrix, inputs, secrets) evaluate to.
 */
async function runLoadTestJob(values: Record<string, string>): Promise<PipelineRun> {
  const job = workflow('load-test.yml').jobs['load-test'];
  if (!job?.steps) throw new Error('load-test.yml has no load-test job with steps');
  const results = mkdtempSync(join(tmpdir(), 'load-test-job-'));
  const summaryFile = join(results, 'step-summary.md');
  writeFileSync(summaryFile, '');
  const envOf = (names: Record<string, string> = {}): Record<string, string> =>
    Object.fromEntries(
      Object.keys(names).map((name) => {
        const value = values[name];
        if (value === undefined) throw new Error(`the test gives no value for the workflow's env ${name}`);
        return [name, value];
      }),
    );
  const inherited = { ...process.env };
  delete inherited.API_KEY;
  let exitCode = 0;
  const ran: string[] = [];
  let output = '';
  try {
    for (const step of job.steps) {
      if (step.run === undefined || step.run.trim() === 'npm ci') continue;
      if (exitCode !== 0 && !runsAfterFailure(step)) continue;
      const script = step.run
        .replaceAll('--generator k6', '--generator local')
        .replaceAll(' --report', '')
        .replaceAll('load/results/', `${results}/`);
      const env = { ...inherited, GITHUB_STEP_SUMMARY: summaryFile, ...envOf(job.env), ...envOf(step.env) };
      const result = await runBash(script, env);
      ran.push(script);
      output += result.output;
      if (result.code !== 0 && exitCode === 0) exitCode = result.code;
    }
    const verdictFile = join(results, 'verdict.md');
    const verdict = existsSync(verdictFile) ? readFileSync(verdictFile, 'utf8') : '';
    return { exitCode, ran, output, summary: readFileSync(summaryFile, 'utf8'), verdict };
  } finally {
    rmSync(results, { recursive: true, force: true });
  }
}

describe('load-test.yml scenarios', () => {
  const text = source('load-test.yml');
  const scenarioNames = Object.keys(SCENARIOS).sort();

  it('offers exactly the scenarios load/scenarios/scenarios.ts defines to a manual run', () => {
    const inputs = workflow('load-test.yml').on as {
      workflow_dispatch: { inputs: { scenario: { options: string[] } } };
    };
    expect([...inputs.workflow_dispatch.inputs.scenario.options].sort()).toEqual(scenarioNames);
  });

  it('runs exactly those scenarios in the scheduled matrix', () => {
    const matrix = /'(\["[^']+"\])'/.exec(text)?.[1];
    expect(matrix).toBeDefined();
    expect((JSON.parse(matrix ?? '[]') as string[]).sort()).toEqual(scenarioNames);
  });
});

describe('load-test.yml run locally', () => {
  // inbox_polling at 20 events/s: every endpoint it gates gets samples in 5 s, and its SLO gates hold on
  // one machine (event_ingestion's 1,000 events/s objective would fail at any rate this short run can use).
  const dryRun = { SCENARIO: 'inbox_polling', LOAD_DURATION: '5s', LOAD_RATE: '20', LOAD_TARGET: '', LOAD_API_KEY: '' };
  let passing: PipelineRun;
  let regressed: PipelineRun;
  const workDir = mkdtempSync(join(tmpdir(), 'load-test-baseline-'));

  beforeAll(async () => {
    // A baseline far better than a 20/s run: the synthetic inbox_polling run serves about 370 requests/s,
    // at the rate the dry run asks (20 creates/s + 1 poll/s), so the two are compared.
    const baseline = join(workDir, 'much-better-baseline.json');
    writeFileSync(baseline, JSON.stringify({ ...syntheticSummary({ scenario: 'inbox_polling' }), requestedRate: 21 }));
    [passing, regressed] = await Promise.all([
      runLoadTestJob({ ...dryRun, LOAD_BASELINE: '' }),
      runLoadTestJob({ ...dryRun, LOAD_BASELINE: baseline }),
    ]);
  }, 90_000);

  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  it('runs the load step with k6 replaced by the local generator, then the gate, then the summary', () => {
    const job = workflow('load-test.yml').jobs['load-test'];
    const loadStep = job?.steps?.find((step) => step.run?.includes('npm run load --'));

    expect(job?.steps?.some((step) => step.uses?.startsWith('grafana/setup-k6-action@'))).toBe(true);
    expect(loadStep?.run).toContain('--generator k6');
    expect(loadStep?.run).toContain('--report');
    expect(passing.ran).toHaveLength(3);
    expect(passing.ran[0]).toContain('npm run load -- --scenario "$SCENARIO" --generator local');
    expect(passing.ran[1]).toContain('npm run load:compare --');
    expect(passing.ran[2]).toContain('$GITHUB_STEP_SUMMARY');
  });

  it('ends in a passing verdict that the job summary received', () => {
    expect({ exitCode: passing.exitCode, output: passing.exitCode === 0 ? '' : passing.output }).toEqual({
      exitCode: 0,
      output: '',
    });
    expect(passing.verdict.startsWith('## Load gate: ✅ PASS — `inbox_polling`')).toBe(true);
    expect(passing.summary).toBe(passing.verdict);
  });

  it('fails with the gate when the run falls far behind the baseline given to the workflow', () => {
    expect(regressed.exitCode).toBe(1);
    expect(regressed.verdict.startsWith('## Load gate: ❌ FAIL — `inbox_polling`')).toBe(true);
    expect(regressed.verdict).toMatch(/\| requests\/s vs baseline \|[^\n]*❌ \|/);
    expect(regressed.summary).toBe(regressed.verdict);
  });
});
