/**
 * `npm run slo:diff -- --base <git-ref>`: synthesizes the base ref and the working tree and prints a
 * markdown report of what the change does to SLO objectives, alarms and dashboard widgets. With
 * `--comment-out <file>` it also writes the report capped to fit a pull-request comment (the folded
 * CloudFormation diff cut, the tables whole), or the error when there is no report.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { describeCloudFormationDiff } from './cloudformation-diff';
import { compareSloTemplates } from './compare-slo-templates';
import { SloDiffError } from './errors';
import { capMarkdown, COMMENT_BUDGET_BYTES, renderMarkdown, type RenderOptions } from './render-markdown';
import { runCommand, snapshotTree, withBaseWorktree, type CommandRunner } from './tree-snapshot';

const USAGE = 'usage: npm run slo:diff -- --base <git-ref> [--comment-out <file>] [--report-url <url>]';

/** Parsed command line. */
export interface SloDiffArgs {
  readonly baseRef: string;
  /** Where to write the report capped for a pull-request comment. */
  readonly commentOut?: string;
  /** Where the full report can be read (the workflow run), linked from the capped report. */
  readonly reportUrl?: string;
}

/** Reads `--base`, `--comment-out` and `--report-url`; throws a `SloDiffError` carrying the usage line when `--base` is missing. */
export function parseSloDiffArgs(argv: readonly string[]): SloDiffArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: { base: { type: 'string' }, 'comment-out': { type: 'string' }, 'report-url': { type: 'string' } },
    strict: true,
  });
  if (!values.base) throw new SloDiffError(`--base <git-ref> is required\n${USAGE}`);
  return {
    baseRef: values.base,
    ...(values['comment-out'] && { commentOut: values['comment-out'] }),
    ...(values['report-url'] && { reportUrl: values['report-url'] }),
  };
}

/** The full report, and the same report capped to fit a pull-request comment. */
export interface SloDiffOutput {
  readonly report: string;
  readonly comment: string;
}

/** The cap of a comment, linking to the full report when its address is known. */
export function commentOptions(args: SloDiffArgs): RenderOptions {
  return { maxBytes: COMMENT_BUDGET_BYTES, ...(args.reportUrl && { fullReportUrl: args.reportUrl }) };
}

/** The markdown report for the working tree at `cwd` against `baseRef`, in full and capped for a comment. */
export async function runSloDiff(
  args: SloDiffArgs,
  cwd: string,
  run: CommandRunner = runCommand,
): Promise<SloDiffOutput> {
  const repoRoot = (await run('git', ['rev-parse', '--show-toplevel'], cwd)).trim();
  const options = { repoRoot, run };
  const [base, head] = await Promise.all([
    withBaseWorktree(args.baseRef, options, (dir) => snapshotTree(dir, 'base', options)),
    snapshotTree(repoRoot, 'head', options),
  ]);
  const report = compareSloTemplates(base, head);
  const cloudFormationDiff = describeCloudFormationDiff(base.templates, head.templates);
  return {
    report: renderMarkdown(report, cloudFormationDiff),
    comment: renderMarkdown(report, cloudFormationDiff, commentOptions(args)),
  };
}

async function main(): Promise<void> {
  let args: SloDiffArgs | undefined;
  try {
    args = parseSloDiffArgs(process.argv.slice(2));
    const output = await runSloDiff(args, process.cwd());
    process.stdout.write(output.report);
    if (args.commentOut) writeFileSync(args.commentOut, output.comment);
  } catch (error) {
    const known = error instanceof SloDiffError || (error instanceof TypeError && 'code' in error);
    const message = `slo:diff: ${known ? error.message : String(error)}\n`;
    process.stderr.write(message);
    // The comment says why the check failed, as the report would have said what changed.
    if (args?.commentOut) writeFileSync(args.commentOut, capMarkdown(message, commentOptions(args)));
    process.exitCode = 1;
  }
}

if (require.main === module) void main();
