import fc from 'fast-check';
import type { JsHistogram } from 'hdr-histogram-js';
import {
  createCompactHistogram,
  createPreciseHistogram,
  MAX_TRACKED_MICROS,
  recordedValueCounts,
  toMicros,
} from '../../../src/observability/metrics/latency-histogram';

/** What the library's own iterator reports: every bucket from the first, midpoints in ms. */
function byLibraryIterator(histogram: JsHistogram): { value: number; count: number }[] {
  const result: { value: number; count: number }[] = [];
  const iterator = histogram.recordedValuesIterator;
  iterator.reset();
  while (iterator.hasNext()) {
    const step = iterator.next();
    result.push({
      value: histogram.medianEquivalentValue(step.valueIteratedTo) / 1000,
      count: step.countAtValueIteratedTo,
    });
  }
  return result;
}

describe('recordedValueCounts', () => {
  it('is empty for an empty histogram', () => {
    expect(recordedValueCounts(createCompactHistogram())).toEqual([]);
  });

  it.each([
    ['compact', createCompactHistogram],
    ['precise', createPreciseHistogram],
  ])('reports what the library’s iterator reports, for any latencies (%s histogram)', (_name, create) => {
    const latencyMs = fc.oneof(
      fc.double({ min: -5, max: 700_000, noNaN: true }),
      fc.constantFrom(0, 0.0004, 50, 100, 200, MAX_TRACKED_MICROS / 1000),
    );
    fc.assert(
      fc.property(fc.array(latencyMs, { minLength: 1, maxLength: 200 }), (latencies) => {
        const histogram = create();
        for (const ms of latencies) histogram.recordValue(toMicros(ms));

        const counts = recordedValueCounts(histogram);

        expect(counts).toEqual(byLibraryIterator(histogram));
        expect(counts.reduce((sum, entry) => sum + entry.count, 0)).toBe(latencies.length);
      }),
      { numRuns: 150 },
    );
  });

  it('reports nothing left over from before a reset', () => {
    const histogram = createCompactHistogram();
    histogram.recordValue(toMicros(900));
    histogram.reset();
    histogram.recordValue(toMicros(3));

    expect(recordedValueCounts(histogram)).toEqual([{ value: 3, count: 1 }]);
  });
});
