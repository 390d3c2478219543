import type { Dimension, MetricDatum } from '@aws-sdk/client-cloudwatch';
import type { JsHistogram } from 'hdr-histogram-js';
import {
  DimensionNames,
  LOOKUP_METHODS,
  MetricNames,
  type LookupMethod,
  type MetricDefinition,
} from '../../../../contract/metrics';
import { createCompactHistogram, recordedValueCounts, toMicros } from './latency-histogram';
import type { RequestObservation } from './metrics-sink';
import { isServerError } from './request-outcome';
import { toValuesAndCounts, type ValueCount } from './values-and-counts';

/** Standard resolution: CloudWatch keeps one-minute points, which is what the sink aggregates to. */
export const STORAGE_RESOLUTION_SECONDS = 60;

/** Start of the minute holding `epochMs`. */
export function minuteStart(epochMs: number): number {
  return Math.floor(epochMs / 60_000) * 60_000;
}

interface EndpointMinute {
  latency: JsHistogram;
  requestCount: number;
  serverErrors: number;
  errorsByType: Map<string, number>;
}

/** One minute of observations, turned into `PutMetricData` datums once the minute is over. */
export class CloudWatchMinute {
  private readonly endpoints = new Map<string, EndpointMinute>();
  private readonly ingestedPerSecond = new Map<number, number>();
  private readonly lookups = { gsi: 0, scan: 0 };

  constructor(readonly startMs: number) {}

  record(observation: RequestObservation): void {
    let endpoint = this.endpoints.get(observation.endpoint);
    if (endpoint === undefined) {
      endpoint = { latency: createCompactHistogram(), requestCount: 0, serverErrors: 0, errorsByType: new Map() };
      this.endpoints.set(observation.endpoint, endpoint);
    }
    endpoint.latency.recordValue(toMicros(observation.durationMs));
    endpoint.requestCount += 1;
    if (isServerError(observation.statusCode)) endpoint.serverErrors += 1;
    if (observation.errorType !== undefined) {
      endpoint.errorsByType.set(observation.errorType, (endpoint.errorsByType.get(observation.errorType) ?? 0) + 1);
    }
  }

  recordEventsIngested(epochSecond: number, count: number): void {
    this.ingestedPerSecond.set(epochSecond, (this.ingestedPerSecond.get(epochSecond) ?? 0) + count);
  }

  recordLookup(method: LookupMethod): void {
    this.lookups[method] += 1;
  }

  /** The minute's datums: per endpoint, per endpoint and error type, ingestion, and lookups by method. */
  toDatums(): MetricDatum[] {
    const datums: MetricDatum[] = [];
    for (const [endpoint, figures] of this.endpoints) datums.push(...this.endpointDatums(endpoint, figures));
    if (this.endpoints.size > 0) {
      // Every endpoint together, without dimensions, as the EMF sink writes it.
      const all = [...this.endpoints.values()];
      const sum = (count: (figures: EndpointMinute) => number): number => all.reduce((n, f) => n + count(f), 0);
      datums.push(this.datum(MetricNames.apiRequestCount, [], { Value: sum((f) => f.requestCount) }));
      datums.push(this.datum(MetricNames.apiErrorCount, [], { Value: sum((f) => f.serverErrors) }));
    }
    if (this.ingestedPerSecond.size > 0) {
      // One sample per second with ingestion (that second's events/s): Sum is the events accepted in the minute,
      // as with the EMF sink, so dashboards read both the same way.
      const perSecond: ValueCount[] = [...this.ingestedPerSecond.values()].map((value) => ({ value, count: 1 }));
      datums.push(this.distribution(MetricNames.eventIngestionRate, [], perSecond));
    }
    for (const method of LOOKUP_METHODS) {
      if (this.lookups[method] > 0) {
        datums.push(
          this.datum(MetricNames.eventLookup, [{ Name: DimensionNames.method, Value: method }], {
            Value: this.lookups[method],
          }),
        );
      }
    }
    return datums;
  }

  private endpointDatums(endpoint: string, figures: EndpointMinute): MetricDatum[] {
    const dimensions: Dimension[] = [{ Name: DimensionNames.endpoint, Value: endpoint }];
    const ok = figures.requestCount - figures.serverErrors;
    const errors = figures.serverErrors;
    const datums = [
      this.distribution(MetricNames.apiLatency, dimensions, recordedValueCounts(figures.latency)),
      this.datum(MetricNames.apiRequestCount, dimensions, { Value: figures.requestCount }),
      this.datum(MetricNames.apiErrorCount, dimensions, { Value: errors }),
      // 100/0 samples weighted by request counts: Average is exactly the request-weighted rate.
      this.distribution(MetricNames.apiSuccessRate, dimensions, [
        { value: 100, count: ok },
        { value: 0, count: errors },
      ]),
      this.distribution(MetricNames.apiErrorRate, dimensions, [
        { value: 100, count: errors },
        { value: 0, count: ok },
      ]),
    ];
    for (const [errorType, count] of figures.errorsByType) {
      const byType = [...dimensions, { Name: DimensionNames.errorType, Value: errorType }];
      datums.push(this.datum(MetricNames.apiErrorCount, byType, { Value: count }));
    }
    return datums;
  }

  private distribution(definition: MetricDefinition, dimensions: Dimension[], entries: ValueCount[]): MetricDatum {
    const { values, counts } = toValuesAndCounts(entries);
    return this.datum(definition, dimensions, { Values: values, Counts: counts });
  }

  private datum(
    definition: MetricDefinition,
    dimensions: Dimension[],
    value: Pick<MetricDatum, 'Value' | 'Values' | 'Counts'>,
  ): MetricDatum {
    return {
      MetricName: definition.name,
      ...(dimensions.length > 0 ? { Dimensions: dimensions } : {}),
      Timestamp: new Date(this.startMs),
      Unit: definition.unit,
      StorageResolution: STORAGE_RESOLUTION_SECONDS,
      ...value,
    };
  }
}
