/**
 * migrate.yml's own shell: the migration step runs here with a stand-in `npm` first on PATH (no AWS),
 * so the test sees the exact command each mode runs, the exit code the job reports, and what reaches
 * the job summary.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { USAGE } from '../../migration-workflow/src/cli/migrate-command';
import { jobOf, readWorkflow } from './support/workflow-files';

const wf = readWorkflow('migrate.yml');
const job = jobOf(wf, 'migrate');
const migrateStep = job.steps?.find((step) => step.id === 'migrate');
const summaryStep = job.steps?.find((step) => step.if?.includes('steps.migrate.outcome'));
const EXECUTION_ARN = 'arn:aws:states:eu-west-1:111111111111:execution:migration:events-1';

interface StepRun {
  /** The arguments the stand-in npm received. */
  npmArgs: string[];
  exitCode: number;
  output: Record<string, string>;
  summary: string;
}

/**
 * Runs the migration step, then the summary step, as the runner would (the step's own `shell:`; the
 * default `bash -e` for the other), with the job's env given by `inputs` and a stand-in npm that prints
 * a log line and exits with `npmExit`.
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
    const env = {
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      ...files,
      STAGE: 'staging',
      MODE: inputs.mode ?? 'start',
      TABLE: inputs.table ?? '',
      EXECUTION_ARN: inputs['execution-arn'] ?? '',
      SEGMENTS: inputs.segments ?? '8',
      RATE: inputs.rate ?? '1000',
      MIGRATION_STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:111111111111:stateMachine:migration',
    };
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
    const inputs = (wf.on.workflow_dispatch as { inputs: Record<string, { options?: string[] }> }).inputs;

    expect(inputs.mode?.options).toEqual(['start', 'follow']);
    expect(Object.keys(inputs)).toEqual(expect.arrayContaining(['execution-arn', 'table', 'stage']));
  });

  it('starts the migration with the inputs, the job summary as --summary, and a follow limit', () => {
    const run = runSteps({ mode: 'start', table: 'triggers-api-events-staging', segments: '4', rate: '500' }, 0);

    expect(run.npmArgs.slice(0, 3)).toEqual(['run', '--silent', 'migrate']);
    expect(cliArgs(run)).toEqual([
      'start',
      '--table',
      'triggers-api-events-staging',
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

  it('follows the execution given in follow mode, and reports exit code 3 when it is still running', () => {
    const run = runSteps({ mode: 'follow', 'execution-arn': EXECUTION_ARN, table: '' }, 3);

    expect(cliArgs(run).slice(0, 4)).toEqual(['follow', EXECUTION_ARN, '--summary', '<summary>']);
    expect(run.exitCode).toBe(3);
    expect(run.output['exit-code']).toBe('3');
    expect(run.summary).toContain('#### Exit code 3 (follow, staging)');
    expect(run.summary).toContain('3 still running when the job stopped following it');
    expect(run.summary).toContain(`Started ${EXECUTION_ARN}`);
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
