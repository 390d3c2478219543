import { performance } from 'node:perf_hooks';

/** Options of {@link runOpenModel}. */
export interface OpenModelOptions {
  /** When each iteration is due, in milliseconds from the start, ascending; fixed before the run. */
  dueTimesMs: readonly number[];
  /**
   * Starts iteration `index`, due at `dueAt` (a `performance.now()` time): returns its promise, or
   * undefined when the caller drops it (e.g. its traffic part has too many in flight). Must not reject.
   */
  start: (index: number, dueAt: number) => Promise<void> | undefined;
  /** Called about every millisecond while iterations are being started, with the time since the start. */
  onTick?: (elapsedMs: number, inFlight: number) => void;
  /** `performance.now()` of the start (default: when called). */
  startedAt?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The one open-model loop of the project's traffic generators (the load runner, the benchmarks): every
 * iteration starts when it is due whatever the server does, so a slow server shows up as latency counted
 * from the due time instead of as fewer requests (no coordinated omission). Resolves once every started
 * iteration has settled.
 */
export async function runOpenModel(options: OpenModelOptions): Promise<void> {
  const { dueTimesMs, start, onTick } = options;
  const startedAt = options.startedAt ?? performance.now();
  const pending = new Set<Promise<void>>();
  let next = 0;
  while (next < dueTimesMs.length) {
    const elapsed = performance.now() - startedAt;
    for (; next < dueTimesMs.length && (dueTimesMs[next] ?? 0) <= elapsed; next++) {
      const iteration = start(next, startedAt + (dueTimesMs[next] ?? 0));
      if (iteration === undefined) continue;
      const tracked = iteration.finally(() => pending.delete(tracked));
      pending.add(tracked);
    }
    onTick?.(elapsed, pending.size);
    await sleep(1);
  }
  await Promise.all(pending);
}
