/** CloudWatch's limit of distinct values in one `PutMetricData` datum. */
export const MAX_DISTINCT_VALUES = 150;

/** A measured value and how many times it occurred. */
export interface ValueCount {
  value: number;
  count: number;
}

/** The `Values`/`Counts` pair of a `PutMetricData` datum. */
export interface ValuesAndCounts {
  values: number[];
  counts: number[];
}

function roundToThousandths(value: number): number {
  return Math.round(value * 1000) / 1000;
}

// Sums counts of equal values; expects `sorted` ascending.
function mergeEqual(sorted: readonly ValueCount[]): ValueCount[] {
  const merged: ValueCount[] = [];
  for (const entry of sorted) {
    const last = merged.at(-1);
    if (last !== undefined && last.value === entry.value) last.count += entry.count;
    else merged.push({ ...entry });
  }
  return merged;
}

// Groups positive values into `groups` bins of equal width on a log scale, so every range keeps the same
// relative precision: a tail at 2 s is not merged into the 20 ms mass, whatever the distribution.
function mergeLogarithmic(entries: readonly ValueCount[], maxDistinct: number): ValueCount[] {
  const zeros = entries.filter((entry) => entry.value <= 0);
  const positive = entries.filter((entry) => entry.value > 0);
  const groups = maxDistinct - (zeros.length > 0 ? 1 : 0);
  const low = positive[0].value;
  const logSpan = Math.log(positive[positive.length - 1].value / low);
  const bins: { weighted: number; count: number }[] = [];
  for (const { value, count } of positive) {
    const index = Math.min(groups - 1, Math.floor((groups * Math.log(value / low)) / logSpan));
    const bin = (bins[index] ??= { weighted: 0, count: 0 });
    bin.weighted += value * count;
    bin.count += count;
  }
  const merged: ValueCount[] = zeros.length > 0 ? [{ value: 0, count: zeros.reduce((n, e) => n + e.count, 0) }] : [];
  // The count-weighted mean keeps the datum's sum (and so its average) what it was.
  for (const bin of bins)
    if (bin) merged.push({ value: roundToThousandths(bin.weighted / bin.count), count: bin.count });
  return mergeEqual(merged);
}

/** `Values`/`Counts` for the entries, merging neighbouring values when there are more than `maxDistinct` (>= 2). */
export function toValuesAndCounts(entries: readonly ValueCount[], maxDistinct = MAX_DISTINCT_VALUES): ValuesAndCounts {
  if (!Number.isInteger(maxDistinct) || maxDistinct < 2) {
    throw new RangeError(`maxDistinct must be an integer of at least 2, got ${maxDistinct}`);
  }
  // Latencies and rates are never negative; clamping keeps the merge's log scale defined.
  const nonEmpty = entries
    .filter((entry) => entry.count > 0)
    .map((entry) => ({ value: Math.max(entry.value, 0), count: entry.count }))
    .sort((a, b) => a.value - b.value);
  let merged = mergeEqual(nonEmpty);
  if (merged.length > maxDistinct) merged = mergeLogarithmic(merged, maxDistinct);
  return { values: merged.map((entry) => entry.value), counts: merged.map((entry) => entry.count) };
}
