/**
 * `npm run slo:diff -- --base <git-ref>`: synthesizes the base ref and the working tree and prints a
 * markdown report of what the change does to SLO objectives, alarms and dashboard widgets.
 */
import { parseArgs } from 'node:util';
import { describeCloudFormationDiff } from './cloudformation-diff';
import { compareSloTemplates } from './compare-slo-templates';
import { SloDiffError } from './errors';
import { renderMarkdown } from './render-markdown';
import { runCommand, snapshotTree, withBaseWorktree, type CommandRunner } from './tree-snapshot';

const USAGE = 'usage: npm run slo:diff -- --base <git-ref>';

/** Parsed command line. */
export interface SloDiffArgs {
  readonly baseRef: string;
}

/** Reads `--base`; throws a `SloDiffError` carrying the usage line when it is missing. */
export function parseSloDiffArgs(argv: readonly string[]): SloDiffArgs {
  const { values } = parseArgs({ args: [...argv], options: { base: { type: 'string' } }, strict: true });
  if (!values.base) throw new SloDiffError(`--base <git-ref> is required\n${USAGE}`);
  return { baseRef: values.base };
}

/** The markdown report for the working tree at `cwd` against `baseRef`. */
export async function runSloDiff(args: SloDiffArgs, cwd: string, run: CommandRunner = runCommand): Promise<string> {
  const repoRoot = (await run('git', ['rev-parse', '--show-toplevel'], cwd)).trim();
  const options = { repoRoot, run };
  const [base, head] = await Promise.all([
    withBaseWorktree(args.baseRef, options, (dir) => snapshotTree(dir, 'base', options)),
    snapshotTree(repoRoot, 'head', options),
  ]);
  return renderMarkdown(compareSloTemplates(base, head), describeCloudFormationDiff(base.templates, head.templates));
}

async function main(): Promise<void> {
  try {
    process.stdout.write(await runSloDiff(parseSloDiffArgs(process.argv.slice(2)), process.cwd()));
  } catch (error) {
    const known = error instanceof SloDiffError || (error instanceof TypeError && 'code' in error);
    process.stderr.write(`slo:diff: ${known ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) void main();
