import { createPreciseHistogram, percentilesMs, toMicros } from '../api/src/observability/metrics/latency-histogram';

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * Latencies of a load run or benchmark in the histogram the API's own metrics use (3 significant digits,
 * microseconds, up to 10 minutes), so client-side and server-side figures share one precision.
 */
export class LatencyRecorder {
  private readonly histogram = createPreciseHistogram();

  recordMs(ms: number): void {
    this.histogram.recordValue(Math.max(1, toMicros(ms)));
  }

  /** Adds every latency `other` recorded (for windows made of several recorders). */
  add(other: LatencyRecorder): void {
    this.histogram.add(other.histogram);
  }

  summary(): LatencySummary {
    const percentiles = percentilesMs(this.histogram) ?? { p50Ms: 0, p95Ms: 0, p99Ms: 0 };
    return { count: this.histogram.totalCount, ...percentiles, maxMs: this.histogram.maxValue / 1000 };
  }
}
