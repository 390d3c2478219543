/** Keeps a uniform random sample of up to `size` items from a stream of unknown length (Algorithm R). */
export class ReservoirSample<T> {
  private readonly items: T[];
  private seen: number;

  /** `from` resumes a sample an earlier invocation kept (its items and how many it had seen). */
  constructor(
    private readonly size: number,
    private readonly random: () => number,
    from?: { items: readonly T[]; seen: number },
  ) {
    this.items = [...(from?.items ?? [])];
    this.seen = from?.seen ?? 0;
  }

  /** Items offered so far, kept or not. */
  seenCount(): number {
    return this.seen;
  }

  offer(item: T): void {
    this.seen++;
    if (this.items.length < this.size) {
      this.items.push(item);
      return;
    }
    const slot = Math.floor(this.random() * this.seen);
    if (slot < this.size) this.items[slot] = item;
  }

  values(): readonly T[] {
    return this.items;
  }
}
