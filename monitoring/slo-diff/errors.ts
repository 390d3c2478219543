/** Base class of every failure the SLO diff reports to its caller. */
export class SloDiffError extends Error {
  override readonly name: string = 'SloDiffError';
}

/** The SLO spec of one tree could not be loaded or breaks a rule; `problems` lists each rule broken. */
export class InvalidSloSpecError extends SloDiffError {
  override readonly name = 'InvalidSloSpecError';

  constructor(
    readonly tree: string,
    readonly problems: readonly string[],
  ) {
    super(`SLO spec in ${tree} is invalid:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

/** `cdk synth` (or another command the diff runs) exited non-zero. */
export class CommandFailedError extends SloDiffError {
  override readonly name = 'CommandFailedError';
}
