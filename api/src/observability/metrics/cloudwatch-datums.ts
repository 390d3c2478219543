import type { Dimension, MetricDatum } from '@aws-sdk/client-cloudwatch';
import { DimensionNames, LOOKUP_METHODS, MetricNames, type MetricDefinition } from '../../../../contract/metrics';
import { recordedValueCounts } from './latency-histogram';
import type { EndpointPeriod, MetricsPeriod } from './metrics-period';
import { toValuesAndCounts, type ValueCount } from './values-and-counts';

/** Standard resolution: CloudWatch keeps one-minute points, the length of a period. */
export const STORAGE_RESOLUTION_SECONDS = 60;

/** One period's `PutMetricData` datums: per endpoint, per endpoint and error type, every endpoint, ingestion, lookups. */
export function periodDatums(period: MetricsPeriod): MetricDatum[] {
  const timestamp = new Date(period.startMs);
  const datum = (
    definition: MetricDefinition,
    dimensions: Dimension[],
    value: Pick<MetricDatum, 'Value' | 'Values' | 'Counts'>,
  ): MetricDatum => ({
    MetricName: definition.name,
    ...(dimensions.length > 0 ? { Dimensions: dimensions } : {}),
    Timestamp: timestamp,
    Unit: definition.unit,
    StorageResolution: STORAGE_RESOLUTION_SECONDS,
    ...value,
  });
  const distribution = (definition: MetricDefinition, dimensions: Dimension[], entries: ValueCount[]): MetricDatum => {
    const { values, counts } = toValuesAndCounts(entries);
    return datum(definition, dimensions, { Values: values, Counts: counts });
  };

  const endpointDatums = ({ endpoint, tally, latency }: EndpointPeriod): MetricDatum[] => {
    const dimensions: Dimension[] = [{ Name: DimensionNames.endpoint, Value: endpoint }];
    const errors = tally.serverErrors;
    const ok = tally.requestCount - errors;
    const datums = [
      distribution(MetricNames.apiLatency, dimensions, recordedValueCounts(latency)),
      datum(MetricNames.apiRequestCount, dimensions, { Value: tally.requestCount }),
      datum(MetricNames.apiErrorCount, dimensions, { Value: errors }),
      // 100/0 samples weighted by request counts: Average is exactly the request-weighted rate.
      distribution(MetricNames.apiSuccessRate, dimensions, [
        { value: 100, count: ok },
        { value: 0, count: errors },
      ]),
      distribution(MetricNames.apiErrorRate, dimensions, [
        { value: 100, count: errors },
        { value: 0, count: ok },
      ]),
    ];
    for (const [errorType, count] of tally.errorsByType) {
      const byType = [...dimensions, { Name: DimensionNames.errorType, Value: errorType }];
      datums.push(datum(MetricNames.apiErrorCount, byType, { Value: count }));
    }
    return datums;
  };

  const datums: MetricDatum[] = [];
  const endpoints = [...period.endpoints.values()];
  for (const figures of endpoints) datums.push(...endpointDatums(figures));
  if (endpoints.length > 0) {
    // Every endpoint together, without dimensions, as the EMF sink writes it.
    const sum = (count: (figures: EndpointPeriod) => number): number => endpoints.reduce((n, f) => n + count(f), 0);
    datums.push(datum(MetricNames.apiRequestCount, [], { Value: sum((f) => f.tally.requestCount) }));
    datums.push(datum(MetricNames.apiErrorCount, [], { Value: sum((f) => f.tally.serverErrors) }));
  }
  if (period.ingestedPerSecond.size > 0) {
    // One sample per second with ingestion (that second's events/s): Sum is the events accepted in the minute,
    // as with the EMF sink, so dashboards read both the same way.
    const perSecond: ValueCount[] = [...period.ingestedPerSecond.values()].map((value) => ({ value, count: 1 }));
    datums.push(distribution(MetricNames.eventIngestionRate, [], perSecond));
  }
  for (const method of LOOKUP_METHODS) {
    const count = period.lookups[method];
    if (count > 0)
      datums.push(datum(MetricNames.eventLookup, [{ Name: DimensionNames.method, Value: method }], { Value: count }));
  }
  return datums;
}
