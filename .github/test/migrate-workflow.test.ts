/**
 * migrate.yml's own shell: the migration step runs here with a stand-in `npm` first on PATH (no AWS),
 * and the job's env evaluated from the dispatch inputs as GitHub would, so the test sees the exact
 * command each mode runs, the exit code the job reports, and what reaches the job summary.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DERIVED_INDEX_NAMES, EVENT_ID_INDEX } from '../../contract/table-schemas';
import { USAGE } from '../../migration-workflow/src/cli/migrate-command';
import { evaluateString } from './support/actions-expression';
import { jobOf, readWorkflow } from './support/workflow-files';

const wf = readWorkflow('migrate.yml');
const job = jobOf(wf, 'migrate');
const migrateStep = job.steps?.find((step) => step.id === 'migrate');
const summaryStep = job.steps?.find((step) => step.if?.includes('steps.migrate.outcome'));
const EXECUTION_ARN = 'arn:aws:states:eu-west-1:111111111111:execution:migration:events-1';

interface DispatchInput {
  type?: string;
  options?: string[];
  default?: string;
}
const dispatchInputs = (wf.on.workflow_dispatch as { inputs: Record<string, DispatchInput> }).inputs;

/** The `inputs` context of a manual run: each input's default, overridden by what the run was given. */
const inputsOf = (given: Record<string, string>): Record<string, string> => ({
  ...Object.fromEntries(Object.entries(dispatchInputs).map(([name, input]) => [name, input.default ?? ''])),
  ...given,
});

/** The job's `env:` as the runner evaluates it for a run with those inputs. */
function jobEnv(given: Record<string, string>): Record<string, string> {
  const contexts = {
    inputs: inputsOf(given),
    vars: { MIGRATION_STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:111111111111:stateMachine:migration' },
  };
  return Object.fromEntries(
    Object.entries(job.env ?? {}).map(([name, value]) => [name, evaluateString(value, contexts)]),
  );
}

interface StepRun {
  /** The arguments the stand-in npm received. */
  npmArgs: string[];
  exitCode: number;
  output: Record<string, string>;
  summary: string;
}

/**
 * Runs the migration step, then the summary step, as the runner would (the step's own `shell:`; the
 * default `bash -e` for the other), with the job's env evaluated for a run given `inputs` (on the stage
 * `staging`) and a stand-in npm that prints a log line and exits with `npmExit`.
 */
function runSteps(inputs: Record<string, string>, npmExit: number): StepRun {
  if (!migrateStep?.run || !summaryStep?.run) throw new Error('migrate.yml has no migration or summary step');
  const dir = mkdtempSync(join(tmpdir(), 'migrate-workflow-'));
  try {
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'npm'),
      `#!/usr/bin/env bash\nprintf '%s\\n' "$@" > "${dir}/npm-args"\necho "Started ${EXECUTION_ARN}"\nexit ${npmExit}\n`,
    );
    chmodSync(join(bin, 'npm'), 0o755);
    const files = { GITHUB_STEP_SUMMARY: join(dir, 'summary.md'), GITHUB_OUTPUT: join(dir, 'output') };
    for (const file of Object.values(files)) writeFileSync(file, '');
    const env = { PATH: `${bin}:${process.env.PATH ?? ''}`, ...files, ...jobEnv({ stage: 'staging', ...inputs }) };
    const shell = (migrateStep.shell ?? '').replace(/\s*\{0\}$/, '').split(/\s+/);
    writeFileSync(join(dir, 'migrate.sh'), migrateStep.run);
    const step = spawnSync(shell[0] ?? 'bash', [...shell.slice(1), join(dir, 'migrate.sh')], { cwd: dir, env });
    const output = Object.fromEntries(
      readFileSync(files.GITHUB_OUTPUT, 'utf8')
        .split('\n')
        .filter((line) => line.includes('='))
        .map((line) => line.split('=', 2) as [string, string]),
    );
    spawnSync('bash', ['--noprofile', '--norc', '-e', '-c', summaryStep.run], {
      cwd: dir,
      env: { ...env, EXIT_CODE: output['exit-code'] ?? '' },
    });
    return {
      npmArgs: readFileSync(join(dir, 'npm-args'), 'utf8').trimEnd().split('\n'),
      exitCode: step.status ?? -1,
      output,
      summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The arguments after `npm run --silent migrate --`, with the summary file's temporary path generalized. */
const cliArgs = (run: StepRun): string[] =>
  run.npmArgs.slice(run.npmArgs.indexOf('--') + 1).map((arg) => (arg.endsWith('summary.md') ? '<summary>' : arg));

describe('migrate.yml', () => {
  it('offers the modes start and follow, and an execution ARN to follow', () => {
    expect(dispatchInputs.mode?.options).toEqual(['start', 'follow']);
    expect(Object.keys(dispatchInputs)).toEqual(expect.arrayContaining(['execution-arn', 'table', 'stage']));
  });

  it('offers exactly the derived indexes the contract defines, event-id-index by default', () => {
    expect(dispatchInputs.index?.type).toBe('choice');
    expect(dispatchInputs.index?.options).toEqual(DERIVED_INDEX_NAMES);
    expect(dispatchInputs.index?.default).toBe(EVENT_ID_INDEX);
  });

  it('starts the migration with the inputs, the job summary as --summary, and a follow limit', () => {
    const run = runSteps(
      { mode: 'start', index: 'inbox-source-index', table: 'triggers-api-events-staging', segments: '4', rate: '500' },
      0,
    );

    expect(run.npmArgs.slice(0, 3)).toEqual(['run', '--silent', 'migrate']);
    expect(cliArgs(run)).toEqual([
      'start',
      '--table',
      'triggers-api-events-staging',
      '--index',
      'inbox-source-index',
      '--segments',
      '4',
      '--rate',
      '500',
      '--follow',
      '--summary',
      '<summary>',
      '--follow-minutes',
      expect.stringMatching(/^\d+$/),
    ]);
    expect(run.exitCode).toBe(0);
    expect(run.output['exit-code']).toBe('0');
  });

  it('starts event-id-index when the run names no index', () => {
    const args = cliArgs(runSteps({ mode: 'start', table: 't' }, 0));

    expect(args[args.indexOf('--index') + 1]).toBe(EVENT_ID_INDEX);
  });

  describe.each(DERIVED_INDEX_NAMES)('started for %s', (index) => {
    it('passes the index to the CLI and names it in the job and the summary', () => {
      const run = runSteps({ mode: 'start', index, table: 't' }, 1);
      const args = cliArgs(run);

      expect(args[args.indexOf('--index') + 1]).toBe(index);
      expect(evaluateString(job.name, { inputs: inputsOf({ mode: 'start', stage: 'staging', index }) })).toBe(
        `Migrate ${index} (start, staging)`,
      );
      expect(run.summary).toContain(`#### Exit code 1 (start ${index}, staging)`);
    });
  });

  it('follows the execution given in follow mode, and reports exit code 3 when it is still running', () => {
    const run = runSteps({ mode: 'follow', 'execution-arn': EXECUTION_ARN, table: '' }, 3);

    expect(cliArgs(run).slice(0, 4)).toEqual(['follow', EXECUTION_ARN, '--summary', '<summary>']);
    expect(run.exitCode).toBe(3);
    expect(run.output['exit-code']).toBe('3');
    expect(run.summary).toContain('#### Exit code 3 (follow, staging)');
    expect(run.summary).toContain('3 still running when the job stopped following it');
    expect(run.summary).toContain(`Started ${EXECUTION_ARN}`);
  });

  it('names no index when following, since the execution carries its own', () => {
    const run = runSteps({ mode: 'follow', 'execution-arn': EXECUTION_ARN, index: 'inbox-type-index' }, 0);
    const name = evaluateString(job.name, { inputs: inputsOf({ mode: 'follow', stage: 'staging' }) });

    expect(cliArgs(run)).not.toContain('--index');
    expect(name).toBe('Migrate an execution (follow, staging)');
    expect(run.summary).not.toContain('inbox-type-index');
  });

  it('passes only options the migrate CLI documents', () => {
    const run = runSteps({ mode: 'start', table: 't' }, 0);
    const options = cliArgs(run).filter((arg) => arg.startsWith('--'));

    expect(options.filter((option) => !USAGE.includes(option))).toEqual([]);
  });

  it("stops following at least 15 minutes before the job's timeout, so the outcome reaches the summary", () => {
    const run = runSteps({ mode: 'start', table: 't' }, 0);
    const args = cliArgs(run);
    const followMinutes = Number(args[args.indexOf('--follow-minutes') + 1]);
    const timeout = job['timeout-minutes'] ?? 360;

    expect(followMinutes).toBeGreaterThan(0);
    expect(timeout - followMinutes).toBeGreaterThanOrEqual(15);
  });

  it('runs the summary step after a failed migration step too', () => {
    expect(summaryStep?.if).toMatch(/!cancelled\(\)/);
  });
});
