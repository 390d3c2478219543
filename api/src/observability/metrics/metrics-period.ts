import type { JsHistogram } from 'hdr-histogram-js';
import type { LookupMethod } from '../../../../contract/metrics';
import { createCompactHistogram } from './latency-histogram';
import { RequestTally } from './request-tally';

/** CloudWatch's standard resolution, and so the length of a period: one minute. */
export const PERIOD_MS = 60_000;

/** Start of the period (minute) holding `epochMs`. */
export function periodStart(epochMs: number): number {
  return Math.floor(epochMs / PERIOD_MS) * PERIOD_MS;
}

/** One endpoint's requests in one period: counts, and latencies in microseconds. */
export class EndpointPeriod {
  readonly tally = new RequestTally();
  readonly latency: JsHistogram = createCompactHistogram();

  constructor(readonly endpoint: string) {}
}

/**
 * What the recorder aggregated over one minute, handed to the sink once the minute is over (or on flush).
 * Every sink encodes this and nothing else: EMF documents, `PutMetricData` datums, Prometheus series.
 */
export class MetricsPeriod {
  readonly endpoints = new Map<string, EndpointPeriod>();
  /** Events accepted, per epoch second that had any. */
  readonly ingestedPerSecond = new Map<number, number>();
  readonly lookups: Record<LookupMethod, number> = { gsi: 0, scan: 0 };

  constructor(readonly startMs: number) {}

  recordRequest(endpoint: string, statusCode: number, micros: number, errorType: string | undefined): void {
    let figures = this.endpoints.get(endpoint);
    if (figures === undefined) {
      figures = new EndpointPeriod(endpoint);
      this.endpoints.set(endpoint, figures);
    }
    figures.latency.recordValue(micros);
    figures.tally.add(statusCode, errorType);
  }

  recordEventsIngested(epochSecond: number, count: number): void {
    this.ingestedPerSecond.set(epochSecond, (this.ingestedPerSecond.get(epochSecond) ?? 0) + count);
  }

  recordLookup(method: LookupMethod): void {
    this.lookups[method] += 1;
  }
}
