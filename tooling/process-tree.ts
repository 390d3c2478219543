import { readdirSync, readFileSync } from 'node:fs';

/**
 * Process-tree helpers for tests and benchmarks that must find and account for every process a server
 * starts (its engine child included). Linux only: they read /proc.
 */

interface ProcStat {
  pid: number;
  ppid: number;
  /** R, S, D, Z (zombie: exited, not yet reaped)... */
  state: string;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: the fields after the last ')' are fixed.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid, state: fields[0] ?? '', ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

/** The command line of a process, arguments joined by spaces ('' when it is gone). */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** Every live descendant of `pid` (children, their children...), parents first. */
export function descendantPids(pid: number): number[] {
  const stats = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readStat(Number(name)))
    .filter((stat): stat is ProcStat => stat !== undefined && stat.state !== 'Z');
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift();
    for (const stat of stats.filter((s) => s.ppid === parent)) {
      found.push(stat.pid);
      queue.push(stat.pid);
    }
  }
  return found;
}

/** The first descendant of `pid` whose command line contains `text`. */
export function findDescendant(pid: number, text: string): number | undefined {
  return descendantPids(pid).find((child) => commandLine(child).includes(text));
}

/** The embedded engine's process under a server process started by `npm start` or `startServerProcess`. */
export function enginePidOf(serverPid: number): number | undefined {
  return findDescendant(serverPid, 'engine-process');
}

/** True while the process exists and has not exited (a zombie awaiting its parent counts as exited). */
export function isRunning(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

/** Waits until none of `pids` runs; resolves with those still running after `timeoutMs`. */
export async function waitForExit(pids: readonly number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const running = pids.filter(isRunning);
    if (running.length === 0 || Date.now() >= deadline) return running;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** SIGKILLs whichever of `pids` still runs: the cleanup of a test that failed half-way. */
export function killAll(pids: readonly number[]): void {
  for (const pid of pids.filter(isRunning)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone in the meantime.
    }
  }
}
