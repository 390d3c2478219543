import { build, type Histogram } from 'hdr-histogram-js';

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Latencies in microseconds in an HDR histogram (3 significant digits, up to 2 minutes). */
export class LatencyRecorder {
  private readonly histogram: Histogram = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 120_000_000,
    numberOfSignificantValueDigits: 3,
  });

  recordMs(ms: number): void {
    this.histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  /** Adds every latency `other` recorded (for windows made of several recorders). */
  add(other: LatencyRecorder): void {
    this.histogram.add(other.histogram);
  }

  summary(): LatencySummary {
    const at = (p: number): number => this.histogram.getValueAtPercentile(p) / 1000;
    return {
      count: this.histogram.totalCount,
      p50Ms: at(50),
      p95Ms: at(95),
      p99Ms: at(99),
      maxMs: this.histogram.maxValue / 1000,
    };
  }
}
