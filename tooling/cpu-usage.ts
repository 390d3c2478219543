import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const CLOCK_TICKS_PER_S = 100;

/** User + system CPU seconds of a process (Linux /proc), with its parent pid; undefined when it is gone. */
function processCpu(pid: string): { ppid: string; seconds: number } | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return { ppid: fields[1] ?? '', seconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S };
  } catch {
    return undefined;
  }
}

export interface CpuSnapshot {
  at: number;
  /** CPU seconds the whole machine has been busy. */
  machine: number;
  /** CPU seconds of this process and its descendants (e.g. the engine and API processes it started). */
  own: number;
}

/**
 * The machine is shared: what other processes take during a benchmark's phase is printed beside its
 * figures, so a run disturbed by something else can be told apart. Zeros where /proc is not available.
 */
export function cpuSnapshot(): CpuSnapshot {
  try {
    const busy = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
      .split(/\s+/)
      // user nice system idle iowait irq softirq steal (guest time is already in user and nice)
      .slice(1, 9)
      .map(Number)
      .filter((_, i) => i !== 3 && i !== 4)
      .reduce((sum, n) => sum + (Number.isFinite(n) ? n : 0), 0);
    const all = new Map<string, { ppid: string; seconds: number }>();
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      const cpu = processCpu(pid);
      if (cpu) all.set(pid, cpu);
    }
    const ours = new Set([String(process.pid)]);
    for (let grew = true; grew;) {
      grew = false;
      for (const [pid, { ppid }] of all) {
        if (!ours.has(pid) && ours.has(ppid)) {
          ours.add(pid);
          grew = true;
        }
      }
    }
    const own = [...ours].reduce((sum, pid) => sum + (all.get(pid)?.seconds ?? 0), 0);
    return { at: performance.now(), machine: busy / CLOCK_TICKS_PER_S, own };
  } catch {
    return { at: performance.now(), machine: 0, own: 0 };
  }
}

/** Cores used on average since `from`: by this process and its descendants, and by everything else. */
export function coresSince(from: CpuSnapshot): { own: number; others: number } {
  const to = cpuSnapshot();
  const seconds = (to.at - from.at) / 1000;
  const own = (to.own - from.own) / seconds;
  return { own, others: Math.max(0, (to.machine - from.machine) / seconds - own) };
}

/** `CPU: this benchmark 1.23 cores, other processes 0.05 cores`. */
export const coresText = (c: { own: number; others: number }): string =>
  `CPU: this benchmark ${c.own.toFixed(2)} cores, other processes ${c.others.toFixed(2)} cores`;
