/** Keeps a uniform random sample of up to `size` items from a stream of unknown length (Algorithm R). */
export class ReservoirSample<T> {
  private readonly items: T[] = [];
  private seen = 0;

  constructor(
    private readonly size: number,
    private readonly random: () => number,
  ) {}

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
