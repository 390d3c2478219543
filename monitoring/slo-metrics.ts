/** CloudWatch metrics of the API, built from the API's own metric definitions (never retyped). */
import { Duration } from 'aws-cdk-lib';
import { Metric, Unit } from 'aws-cdk-lib/aws-cloudwatch';
import {
  DimensionNames,
  MetricNames,
  metricNamespace,
  type LookupMethod,
  type MetricDefinition,
  type MetricUnit,
} from '../contract/metrics';

const UNITS: Record<MetricUnit, Unit> = {
  Milliseconds: Unit.MILLISECONDS,
  Count: Unit.COUNT,
  Percent: Unit.PERCENT,
  'Count/Second': Unit.COUNT_PER_SECOND,
};

/** Metrics of one stage's namespace, e.g. `TriggersAPI/Production`. */
export class SloMetrics {
  private readonly namespace: string;

  constructor(stage: string) {
    this.namespace = metricNamespace(stage);
  }

  /** Latency of an endpoint with any statistic: `p95`, `PR(:100)`, `SampleCount`. */
  latency(endpoint: string, statistic: string, period: Duration, label?: string): Metric {
    return this.metric(MetricNames.apiLatency, { [DimensionNames.endpoint]: endpoint }, statistic, period, label);
  }

  /** Requests served by an endpoint (Sum). */
  requestCount(endpoint: string, period: Duration): Metric {
    return this.metric(MetricNames.apiRequestCount, { [DimensionNames.endpoint]: endpoint }, 'Sum', period);
  }

  /** 5xx responses of an endpoint (Sum); the series without `ErrorType` counts server errors only. */
  serverErrorCount(endpoint: string, period: Duration): Metric {
    return this.metric(MetricNames.apiErrorCount, { [DimensionNames.endpoint]: endpoint }, 'Sum', period);
  }

  /** Error responses of an endpoint with one API error code, e.g. the shed load `OVERLOADED` (Sum). */
  errorCountByType(endpoint: string, errorType: string, period: Duration): Metric {
    return this.metric(
      MetricNames.apiErrorCount,
      { [DimensionNames.endpoint]: endpoint, [DimensionNames.errorType]: errorType },
      'Sum',
      period,
    );
  }

  /** Requests served by every endpoint together: the series the API emits without dimensions (Sum). */
  totalRequestCount(period: Duration): Metric {
    return this.metric(MetricNames.apiRequestCount, {}, 'Sum', period);
  }

  /** 5xx responses of every endpoint together (Sum). */
  totalServerErrorCount(period: Duration): Metric {
    return this.metric(MetricNames.apiErrorCount, {}, 'Sum', period);
  }

  /** Request-weighted success rate in percent: one 100-or-0 sample per request, so Average is exact. */
  successRatePercent(endpoint: string, period: Duration): Metric {
    return this.metric(MetricNames.apiSuccessRate, { [DimensionNames.endpoint]: endpoint }, 'Average', period);
  }

  /** Request-weighted 5xx rate in percent. */
  errorRatePercent(endpoint: string, period: Duration): Metric {
    return this.metric(MetricNames.apiErrorRate, { [DimensionNames.endpoint]: endpoint }, 'Average', period);
  }

  /**
   * The `EventIngestionRate` samples (one per second with ingestion, per document). Only `Sum` (events
   * accepted) and `SampleCount` mean something across Lambda invocations; plot `Sum / PERIOD` for events/s.
   */
  ingestionRate(period: Duration, statistic = 'Sum'): Metric {
    return this.metric(MetricNames.eventIngestionRate, {}, statistic, period);
  }

  /** Event lookups by one method (Sum). */
  eventLookups(method: LookupMethod, period: Duration): Metric {
    return this.metric(MetricNames.eventLookup, { [DimensionNames.method]: method }, 'Sum', period);
  }

  private metric(
    definition: MetricDefinition,
    dimensionsMap: Record<string, string>,
    statistic: string,
    period: Duration,
    label?: string,
  ): Metric {
    return new Metric({
      namespace: this.namespace,
      metricName: definition.name,
      dimensionsMap,
      statistic,
      period,
      unit: UNITS[definition.unit],
      ...(label ? { label } : {}),
    });
  }
}
