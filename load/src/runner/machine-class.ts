/**
 * The class of machine a load run was generated on: what its figures may be compared across. Latency and
 * throughput measured on a 2-core laptop say nothing about a 4-core CI runner, so relative gates only
 * compare runs of one class (load/src/compare/comparability.ts).
 */
import { arch, availableParallelism, platform, totalmem } from 'node:os';
import { MACHINE_CLASS_PATTERN } from '../../scenarios/summary-format';

/** The environment variable that names the class instead, e.g. `github-ubuntu-24.04-4cpu` on a CI runner. */
export const MACHINE_CLASS_VARIABLE = 'LOAD_MACHINE_CLASS';

/** What a machine class is derived from. */
export interface MachineFacts {
  platform: string;
  arch: string;
  cpus: number;
  memoryBytes: number;
}

/** LOAD_MACHINE_CLASS is set to something that cannot name a baseline folder. */
export class InvalidMachineClassError extends Error {
  override readonly name = 'InvalidMachineClassError';
}

/** This machine's facts, as Node reports them. */
export function currentMachineFacts(): MachineFacts {
  return { platform: platform(), arch: arch(), cpus: availableParallelism(), memoryBytes: totalmem() };
}

/**
 * `linux-x64-4cpu-16gb`: OS, architecture, CPU count and memory rounded up to whole GiB (a 16 GiB
 * machine reports a little less, and the class must not change with what the kernel keeps for itself).
 */
export function machineClassOf(facts: MachineFacts): string {
  const gib = Math.max(1, Math.ceil(facts.memoryBytes / 2 ** 30));
  return `${facts.platform}-${facts.arch}-${facts.cpus}cpu-${gib}gb`;
}

/** The machine class: `LOAD_MACHINE_CLASS` when set (and usable as a folder name), else derived from `facts`. */
export function machineClass(
  env: Record<string, string | undefined>,
  facts: MachineFacts = currentMachineFacts(),
): string {
  const named = env[MACHINE_CLASS_VARIABLE];
  if (named === undefined || named === '') return machineClassOf(facts);
  if (!new RegExp(MACHINE_CLASS_PATTERN).test(named)) {
    throw new InvalidMachineClassError(
      `${MACHINE_CLASS_VARIABLE} must be letters, digits, '.', '_' or '-' (at most 64, a letter or digit first); received '${named}'`,
    );
  }
  return named;
}

/**
 * {@link machineClass} for a command line: an unusable `LOAD_MACHINE_CLASS` is reported through `err` and
 * gives undefined (the caller exits 2); any other error is thrown.
 */
export function machineClassForCli(
  env: Record<string, string | undefined>,
  err: (line: string) => void,
): string | undefined {
  try {
    return machineClass(env);
  } catch (error) {
    if (!(error instanceof InvalidMachineClassError)) throw error;
    err(error.message);
    return undefined;
  }
}
