import { toValuesAndCounts, type ValueCount } from '../../../src/observability/metrics/values-and-counts';

function sum(entries: { values: number[]; counts: number[] }): number {
  return entries.values.reduce((total, value, i) => total + value * entries.counts[i], 0);
}

function total(counts: number[]): number {
  return counts.reduce((a, b) => a + b, 0);
}

describe('toValuesAndCounts', () => {
  it('passes up to the limit of distinct values through, ascending, without empty entries', () => {
    const entries: ValueCount[] = [
      { value: 30, count: 1 },
      { value: 10, count: 4 },
      { value: 20, count: 0 },
    ];

    expect(toValuesAndCounts(entries)).toEqual({ values: [10, 30], counts: [4, 1] });
  });

  it('sums the counts of equal values', () => {
    expect(
      toValuesAndCounts([
        { value: 5, count: 1 },
        { value: 5, count: 2 },
      ]),
    ).toEqual({ values: [5], counts: [3] });
  });

  it('merges neighbours down to the limit, keeping the total count and (near enough) the sum', () => {
    const entries: ValueCount[] = Array.from({ length: 1000 }, (_, i) => ({
      value: 0.5 + i * 0.731,
      count: (i % 7) + 1,
    }));
    const exactSum = entries.reduce((s, e) => s + e.value * e.count, 0);

    const merged = toValuesAndCounts(entries);

    expect(merged.values.length).toBeLessThanOrEqual(150);
    expect(merged.values.length).toBe(merged.counts.length);
    expect(total(merged.counts)).toBe(total(entries.map((e) => e.count)));
    expect(sum(merged) / exactSum).toBeCloseTo(1, 4);
    expect(merged.values).toEqual([...merged.values].sort((a, b) => a - b));
  });

  it('keeps a slow tail apart from the bulk instead of averaging it away', () => {
    const bulk: ValueCount[] = Array.from({ length: 400 }, (_, i) => ({ value: 10 + i * 0.01, count: 100 }));
    const tail: ValueCount = { value: 2000, count: 1 };

    const merged = toValuesAndCounts([...bulk, tail]);

    expect(merged.values.at(-1)).toBe(2000);
    expect(merged.counts.at(-1)).toBe(1);
  });

  it('keeps zero as a value of its own when merging', () => {
    const entries: ValueCount[] = [
      { value: 0, count: 3 },
      ...Array.from({ length: 20 }, (_, i) => ({ value: i + 1, count: 1 })),
    ];

    const merged = toValuesAndCounts(entries, 10);

    expect(merged.values[0]).toBe(0);
    expect(merged.counts[0]).toBe(3);
    expect(merged.values.length).toBeLessThanOrEqual(10);
    expect(total(merged.counts)).toBe(23);
  });

  it.each([1, 0, 2.5])('refuses a limit of %p', (maxDistinct) => {
    expect(() => toValuesAndCounts([], maxDistinct)).toThrow(
      `maxDistinct must be an integer of at least 2, got ${maxDistinct}`,
    );
  });
});
