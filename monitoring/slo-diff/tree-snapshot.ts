/**
 * The I/O edge of the SLO diff: a temporary git worktree at the base ref, `cdk synth` in a tree,
 * and the SLO spec module of a tree loaded with tsx.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, symlink, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SloSnapshot } from './compare-slo-templates';
import { CommandFailedError, InvalidSloSpecError } from './errors';
import { findSpecProblems } from './spec-problems';

/** Where the spec module sits in every tree, and the export the diff reads. */
export const SPEC_MODULE = 'contract/slo-spec.ts';
/** Where trees before the contract/ folder kept it: a base ref that old is read from there. */
const FORMER_SPEC_MODULE = 'monitoring/slo-spec.ts';
const SPEC_EXPORT = 'SLO_SPEC';

/** Runs a command and resolves with its stdout; rejects with `CommandFailedError` naming the command and its stderr. */
export type CommandRunner = (command: string, args: readonly string[], cwd: string) => Promise<string>;

/** The default runner: `execFile` without a shell. */
export const runCommand: CommandRunner = (command, args, cwd) =>
  new Promise((resolve, reject) => {
    execFile(command, [...args], { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const output = `${stderr}`.trim() || `${stdout}`.trim() || error.message;
        reject(new CommandFailedError(`${[command, ...args].join(' ')} failed in ${cwd}:\n${output}`));
      } else resolve(`${stdout}`);
    });
  });

/** Options for `withBaseWorktree` and `snapshotTree`. */
export interface TreeOptions {
  /** The working tree whose `node_modules` the base worktree reuses. */
  readonly repoRoot: string;
  readonly run: CommandRunner;
}

/** Checks `ref` out into a temporary detached worktree, runs `use` on it and always removes the worktree. */
export async function withBaseWorktree<T>(
  ref: string,
  options: TreeOptions,
  use: (dir: string) => Promise<T>,
): Promise<T> {
  const scratch = await mkdtemp(join(tmpdir(), 'slo-diff-base-'));
  const dir = join(scratch, 'tree');
  await options.run('git', ['worktree', 'add', '--detach', '--quiet', dir, ref], options.repoRoot);
  const modules = join(dir, 'node_modules');
  try {
    if (!existsSync(modules)) await symlink(join(options.repoRoot, 'node_modules'), modules, 'dir');
    return await use(dir);
  } finally {
    // Unlink the symlink first so removing the worktree can never reach the shared node_modules.
    await unlink(modules).catch(() => undefined);
    await options.run('git', ['worktree', 'remove', '--force', dir], options.repoRoot).catch(() => undefined);
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Synthesizes a tree and loads its spec. A base tree without a spec or a CDK app counts as empty, so
 * the first PR that adds them reports everything as added; the head tree must have both.
 */
export async function snapshotTree(dir: string, role: 'base' | 'head', options: TreeOptions): Promise<SloSnapshot> {
  const spec = await loadSpec(dir, role, options);
  const problems = findSpecProblems(spec);
  if (problems.length > 0) throw new InvalidSloSpecError(`${role} (${dir})`, problems);
  return { spec, templates: await synthTemplates(dir, role, options) };
}

async function loadSpec(dir: string, role: string, options: TreeOptions): Promise<unknown> {
  const modulePath = [SPEC_MODULE, FORMER_SPEC_MODULE].map((path) => join(dir, path)).find(existsSync) ?? '';
  if (!modulePath) {
    if (role === 'base') return {};
    throw new InvalidSloSpecError(role, [`${SPEC_MODULE} does not exist`]);
  }
  const script = `process.stdout.write(JSON.stringify(require(${JSON.stringify(modulePath)}).${SPEC_EXPORT} ?? null))`;
  const tsx = join(options.repoRoot, 'node_modules', '.bin', 'tsx');
  try {
    return JSON.parse(await options.run(tsx, ['--eval', script], dir)) as unknown;
  } catch (error) {
    // A spec whose own validation throws at import time is invalid, not a tooling failure.
    throw new InvalidSloSpecError(`${role} (${dir})`, [error instanceof Error ? error.message : String(error)]);
  }
}

async function synthTemplates(dir: string, role: string, options: TreeOptions): Promise<Record<string, unknown>> {
  if (role === 'base' && !existsSync(join(dir, 'cdk.json'))) return {};
  const out = await mkdtemp(join(tmpdir(), `slo-diff-${role}-out-`));
  try {
    const cdk = join(options.repoRoot, 'node_modules', '.bin', 'cdk');
    await options.run(cdk, ['synth', '--quiet', '--no-notices', '-o', out], dir);
    const files = (await readdir(out)).filter((file) => file.endsWith('.template.json')).sort();
    const entries = await Promise.all(
      files.map(async (file) => [
        file.slice(0, -'.template.json'.length),
        JSON.parse(await readFile(join(out, file), 'utf8')) as unknown,
      ]),
    );
    return Object.fromEntries(entries) as Record<string, unknown>;
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}
