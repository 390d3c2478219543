import type { JsHistogram } from 'hdr-histogram-js';
// The two classes alone: the package's index also loads its WebAssembly build, log codecs and pako,
// which the API never uses and every Lambda cold start would pay for.
import Float64Histogram from 'hdr-histogram-js/dist/Float64Histogram';
import Int32Histogram from 'hdr-histogram-js/dist/Int32Histogram';
import type { LatencyPercentiles } from '../../../../contract/metrics-snapshot';
import type { ValueCount } from './values-and-counts';

/** Longest latency tracked, in microseconds (10 minutes); longer requests are recorded as this. */
export const MAX_TRACKED_MICROS = 600_000_000;

/** Latency in whole microseconds, clamped to the tracked range (negative or non-finite input becomes 0). */
export function toMicros(durationMs: number): number {
  // `!(x > 0)` is also true for NaN, which must not reach the histogram.
  if (!(durationMs > 0)) return 0;
  return Math.min(Math.round(durationMs * 1000), MAX_TRACKED_MICROS);
}

/** 3 significant digits with 64-bit counts: for totals since start, where 32-bit counts could wrap. */
export function createPreciseHistogram(): JsHistogram {
  return new Float64Histogram(1, MAX_TRACKED_MICROS, 3);
}

/** 2 significant digits (1 % error), about 12 KB: for the many short-lived per-second and per-minute histograms. */
export function createCompactHistogram(): JsHistogram {
  return new Int32Histogram(1, MAX_TRACKED_MICROS, 2);
}

/** p50/p95/p99 in milliseconds, or undefined when nothing was recorded. */
export function percentilesMs(histogram: JsHistogram): LatencyPercentiles | undefined {
  if (histogram.totalCount === 0) return undefined;
  return {
    p50Ms: histogram.getValueAtPercentile(50) / 1000,
    p95Ms: histogram.getValueAtPercentile(95) / 1000,
    p99Ms: histogram.getValueAtPercentile(99) / 1000,
  };
}

/**
 * Distinct recorded values (bucket midpoints, in ms) with their counts, ascending. Walks only the buckets
 * between the lowest and the highest value recorded: the library's iterator starts from the first bucket,
 * which costs hundreds of microseconds for one request (a Lambda invocation's flush).
 */
export function recordedValueCounts(histogram: JsHistogram): ValueCount[] {
  const result: ValueCount[] = [];
  if (histogram.totalCount === 0) return result;
  // Zero (a negative or non-finite duration) sits in bucket 0, below the lowest non-zero value.
  const first = histogram.getCountAtIndex(0) > 0 ? 0 : histogram.countsArrayIndex(histogram.minNonZeroValue);
  const last = histogram.countsArrayIndex(histogram.maxValue);
  for (let index = first; index <= last; index++) {
    const count = histogram.getCountAtIndex(index);
    // The midpoint keeps the sum (and so the average) unbiased, unlike the bucket's edges.
    if (count > 0)
      result.push({ value: histogram.medianEquivalentValue(histogram.valueFromIndex(index)) / 1000, count });
  }
  return result;
}
