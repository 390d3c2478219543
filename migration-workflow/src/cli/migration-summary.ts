/**
 * The markdown `npm run migrate -- ... --summary <file>` appends to a file (in GitHub Actions, the job
 * summary): the execution ARN the moment it is known, then the outcome. Pure text builders.
 */

/** How to pick an execution up again, as a plain line for the terminal. */
export function followAgainText(executionArn: string): string {
  return `Follow it again with: npm run migrate -- follow ${executionArn} (or the Migrate event-id-index workflow, mode follow)`;
}

/** How to pick an execution up again, from a shell or from the workflow, as markdown. */
export function followAgainHint(executionArn: string): string {
  return (
    `Follow it again with \`npm run migrate -- follow ${executionArn}\`, or run the ` +
    '*Migrate event-id-index* workflow with mode `follow` and this execution ARN.'
  );
}

/** Written as soon as an execution is started or being followed, before anything can go wrong. */
export function executionSummary(executionArn: string, how: 'started' | 'followed'): string {
  return [
    `### event-id-index migration: execution ${how}`,
    '',
    `Execution ARN: \`${executionArn}\``,
    '',
    followAgainHint(executionArn),
    '',
  ].join('\n');
}

/** What an execution that ended looks like: its status, times, then its output or error. */
export interface ExecutionOutcome {
  status: string;
  startDate?: Date;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
}

/** Written when the execution has ended (or a local run has finished). */
export function outcomeSummary(outcome: ExecutionOutcome): string {
  const times = [
    outcome.startDate ? `started ${outcome.startDate.toISOString()}` : '',
    outcome.stopDate ? `stopped ${outcome.stopDate.toISOString()}` : '',
  ].filter((part) => part !== '');
  const lines = [`**Outcome: ${outcome.status}**${times.length > 0 ? ` (${times.join(', ')})` : ''}`, ''];
  if (outcome.output) lines.push('Output:', '', '```json', outcome.output, '```', '');
  if (outcome.error || outcome.cause) {
    lines.push(`Error: \`${outcome.error ?? ''}\``, '', 'Cause:', '', '```text', outcome.cause ?? '', '```', '');
  }
  return lines.join('\n');
}

/** Written when following stops before the execution ends (the execution itself goes on). */
export function stillRunningSummary(executionArn: string, minutes: number): string {
  return [
    `**Still RUNNING** after following it for ${minutes} minutes: the execution goes on in Step Functions.`,
    '',
    followAgainHint(executionArn),
    '',
  ].join('\n');
}
