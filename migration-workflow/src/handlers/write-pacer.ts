/** Waits `ms` milliseconds; injectable so tests can record the pauses instead of taking them. */
export type Sleep = (ms: number) => Promise<void>;

/** Milliseconds since some fixed origin; injectable with `Sleep` for deterministic tests. */
export type Clock = () => number;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Spaces writes evenly at `maxWritesPerSecond` (no burst), so a backfill stays below the rate live
 * traffic leaves free instead of spending it all at once and throttling the API.
 */
export class WritePacer {
  private readonly intervalMs: number;
  private nextAt: number | undefined;

  constructor(
    maxWritesPerSecond: number,
    private readonly now: Clock,
    private readonly sleep: Sleep,
  ) {
    this.intervalMs = 1000 / maxWritesPerSecond;
  }

  /** Milliseconds the next write would have to wait. */
  delayMs(): number {
    return this.nextAt === undefined ? 0 : Math.max(0, this.nextAt - this.now());
  }

  /** Resolves when the next write may start; the slot is taken at once, so concurrent writers queue up. */
  async acquire(): Promise<void> {
    const now = this.now();
    const start = Math.max(now, this.nextAt ?? 0);
    this.nextAt = start + this.intervalMs;
    if (start > now) await this.sleep(start - now);
  }
}
