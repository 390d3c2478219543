import type { JsHistogram } from 'hdr-histogram-js';
import type { EndpointFigures, LatencyPercentiles } from '../../../../contract/metrics-snapshot';
import { createCompactHistogram, createPreciseHistogram, percentilesMs } from './latency-histogram';
import { RequestTally } from './request-tally';

/** One second of one endpoint; reused in place when the ring wraps, so recording allocates nothing steady-state. */
class SecondSlot {
  second = -1;
  readonly tally = new RequestTally();
  histogram: JsHistogram | undefined;

  claim(second: number): void {
    this.second = second;
    this.tally.clear();
    this.histogram?.reset();
  }
}

function figures(endpoint: string, tally: RequestTally, latency: LatencyPercentiles | undefined): EndpointFigures {
  const { requestCount, serverErrors } = tally;
  return {
    endpoint,
    requestCount,
    errorCount: serverErrors,
    successRatePercent: requestCount === 0 ? 100 : ((requestCount - serverErrors) / requestCount) * 100,
    errorRatePercent: requestCount === 0 ? 0 : (serverErrors / requestCount) * 100,
    latency,
    errorsByType: Object.fromEntries(tally.errorsByType),
  };
}

/** One endpoint's figures since start, plus a ring of per-second slots for the recent window. */
export class EndpointStats {
  private readonly total = new RequestTally();
  private readonly totalHistogram = createPreciseHistogram();
  private readonly slots: SecondSlot[];

  constructor(
    readonly endpoint: string,
    windowSeconds: number,
  ) {
    this.slots = Array.from({ length: windowSeconds }, () => new SecondSlot());
  }

  /** Adds one request observed during `second` (epoch seconds). */
  record(second: number, statusCode: number, micros: number, errorType: string | undefined): void {
    const slot = this.slots[second % this.slots.length];
    if (slot.second !== second) slot.claim(second);
    slot.histogram ??= createCompactHistogram();
    slot.histogram.recordValue(micros);
    slot.tally.add(statusCode, errorType);
    this.totalHistogram.recordValue(micros);
    this.total.add(statusCode, errorType);
  }

  /** Figures since the process started. */
  totalFigures(): EndpointFigures {
    return figures(this.endpoint, this.total, percentilesMs(this.totalHistogram));
  }

  /** Figures over the seconds `(nowSecond - ring length, nowSecond]`; `scratch` is reset and reused for merging. */
  windowFigures(nowSecond: number, scratch: JsHistogram): EndpointFigures {
    const tally = new RequestTally();
    scratch.reset();
    for (const slot of this.slots) {
      if (slot.second <= nowSecond - this.slots.length || slot.second > nowSecond) continue;
      tally.addTally(slot.tally);
      if (slot.histogram) scratch.add(slot.histogram);
    }
    return figures(this.endpoint, tally, percentilesMs(scratch));
  }
}
