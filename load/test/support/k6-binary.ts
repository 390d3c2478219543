import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

/** The repository root. */
export const REPO_ROOT = join(__dirname, '..', '..', '..');

/** Where these machines keep a k6 binary built from the upstream source (../shared/tools/README.md). */
export const SHARED_K6 = join(REPO_ROOT, '..', 'shared', 'tools', 'k6');

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The k6 binary the k6 tests run: `k6` on PATH, else `<repo>/../shared/tools/k6`. Throws a message saying
 * what to do when there is neither: these tests run k6 for real, so there is nothing to fall back on.
 */
export function findK6(env: Record<string, string | undefined> = process.env): string {
  const onPath = (env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => dir !== '')
    .map((dir) => join(dir, 'k6'))
    .find(executable);
  if (onPath) return onPath;
  if (executable(SHARED_K6)) return SHARED_K6;
  throw new Error(
    `npm run test:k6 runs the k6 scripts under a real k6, and there is none: no k6 on PATH and none at ${SHARED_K6}. ` +
      'Install k6 (https://grafana.com/docs/k6/latest/set-up/install-k6/) or put it on PATH.',
  );
}

/** The environment with the folder of `k6` first on PATH, as a shell that found it would have it. */
export function withK6OnPath(k6: string, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, PATH: [dirname(k6), env.PATH].filter(Boolean).join(delimiter) };
}

/** What a command printed and how it ended. */
export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command` through bash in `cwd`, as a user typing it would, and collects its output. */
export function runShell(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<CommandResult> {
  return runCommand('bash', ['--noprofile', '--norc', '-e', '-c', command], cwd, env);
}

/** Runs a program in `cwd` and collects its output. */
export function runCommand(
  program: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
