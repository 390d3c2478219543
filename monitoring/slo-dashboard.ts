/** Dashboard sections generated from the SLO spec: one per endpoint, plus ingestion and lookup method. */
import { Duration } from 'aws-cdk-lib';
import { MathExpression, type HorizontalAnnotation } from 'aws-cdk-lib/aws-cloudwatch';
import type { CustomMetricGroup, MonitoringFacade } from 'cdk-monitoring-constructs';
import {
  API_ENDPOINTS,
  LOOKUP_METHODS,
  SHED_LOAD_ERROR_TYPE,
  UNSHED_ENDPOINTS,
  type ApiEndpoint,
} from '../contract/metrics';
import type { SloMetrics } from './slo-metrics';
import {
  latencyTargetInMillis,
  objectiveEndpoints,
  successRateTargetPercent,
  type SloSpec,
} from '../contract/slo-spec';

const DASHBOARD_PERIOD = Duration.minutes(1);

/** Widget titles of one endpoint's section, so tests and diffs name them the same way. */
export function endpointWidgetTitles(endpoint: string): { latency: string; rates: string; requests: string } {
  return {
    latency: `${endpoint} latency`,
    rates: `${endpoint} success and error rate`,
    requests: `${endpoint} requests`,
  };
}

/** Adds the SLO sections to the facade's dashboards; latency and success rate go on the summary too. */
export function addSloDashboardSections(facade: MonitoringFacade, spec: SloSpec, metrics: SloMetrics): void {
  facade.addLargeHeader('Service level objectives', true);
  for (const endpoint of objectiveEndpoints(spec)) {
    facade.monitorCustom({
      alarmFriendlyName: `SLO ${endpoint}`,
      humanReadableName: `SLO: ${endpoint}`,
      metricGroups: endpointMetricGroups(endpoint, spec, metrics),
    });
  }
  facade.monitorCustom({
    alarmFriendlyName: 'SLO all endpoints',
    humanReadableName: 'SLO: all endpoints',
    metricGroups: [
      {
        title: ALL_ENDPOINTS_ERROR_RATE_TITLE,
        addToSummaryDashboard: true,
        graphWidgetAxis: { label: '%', min: 0, showUnits: false },
        metrics: [allEndpointsErrorRatePercent(metrics)],
        horizontalAnnotations: targetAnnotation(spec.errorRate.maximumPercent, 'error rate (max %)'),
      },
      {
        title: SHED_LOAD_TITLE,
        metrics: API_ENDPOINTS.filter((endpoint) => !UNSHED_ENDPOINTS.includes(endpoint)).map((endpoint) =>
          metrics.errorCountByType(endpoint, SHED_LOAD_ERROR_TYPE, DASHBOARD_PERIOD).with({ label: endpoint }),
        ),
      },
    ],
  });
  facade.monitorCustom({
    alarmFriendlyName: 'SLO ingestion',
    humanReadableName: 'Ingestion and lookups',
    metricGroups: [
      {
        title: 'Event ingestion rate (events/s)',
        addToSummaryDashboard: true,
        metrics: [ingestionPerSecond(metrics)],
        horizontalAnnotations: [
          { value: spec.ingestion.minimumEventsPerSecond, label: 'objective (min)', color: '#2ca02c' },
        ],
      },
      {
        title: 'Event lookups by method',
        metrics: LOOKUP_METHODS.map((method) => metrics.eventLookups(method, DASHBOARD_PERIOD).with({ label: method })),
      },
    ],
  });
}

/** Title of the widget drawing the requests shed past the concurrency limit, per endpoint. */
export const SHED_LOAD_TITLE = 'Shed load: 503 OVERLOADED per endpoint';

/** Title of the widget drawing the 5xx rate of every endpoint together. */
export const ALL_ENDPOINTS_ERROR_RATE_TITLE = 'All endpoints: 5xx rate (%)';

/**
 * Events accepted per second. In Lambda each invocation writes its own EMF document with one sample, so
 * Average and Maximum are the events of one invocation (1 for a single POST); only Sum / PERIOD is a rate.
 */
export function ingestionPerSecond(metrics: SloMetrics): MathExpression {
  return new MathExpression({
    expression: 'accepted / PERIOD(accepted)',
    usingMetrics: { accepted: metrics.ingestionRate(DASHBOARD_PERIOD, 'Sum') },
    period: DASHBOARD_PERIOD,
    label: 'events/s',
  });
}

function allEndpointsErrorRatePercent(metrics: SloMetrics): MathExpression {
  return new MathExpression({
    expression: 'IF(requests > 0, 100 * errors / requests, 0)',
    usingMetrics: {
      errors: metrics.totalServerErrorCount(DASHBOARD_PERIOD),
      requests: metrics.totalRequestCount(DASHBOARD_PERIOD),
    },
    period: DASHBOARD_PERIOD,
    label: '5xx %',
  });
}

function endpointMetricGroups(endpoint: ApiEndpoint, spec: SloSpec, metrics: SloMetrics): CustomMetricGroup[] {
  const titles = endpointWidgetTitles(endpoint);
  const latencyTarget = latencyTargetInMillis(endpoint, spec);
  const successTarget = successRateTargetPercent(endpoint, spec);
  return [
    {
      title: titles.latency,
      addToSummaryDashboard: latencyTarget !== undefined,
      graphWidgetAxis: { label: 'ms', min: 0, showUnits: false },
      metrics: (['p50', 'p95', 'p99'] as const).map((p) => metrics.latency(endpoint, p, DASHBOARD_PERIOD, p)),
      horizontalAnnotations: targetAnnotation(latencyTarget, 'p95 target (ms)'),
    },
    {
      title: titles.rates,
      addToSummaryDashboard: successTarget !== undefined,
      graphWidgetAxis: { label: '%', min: 0, max: 100, showUnits: false },
      metrics: [
        metrics.successRatePercent(endpoint, DASHBOARD_PERIOD).with({ label: 'success %' }),
        metrics.errorRatePercent(endpoint, DASHBOARD_PERIOD).with({ label: '5xx %' }),
      ],
      horizontalAnnotations: [
        ...targetAnnotation(successTarget, 'success target (min %)'),
        ...targetAnnotation(spec.errorRate.maximumPercent, 'error rate (max %)'),
      ],
    },
    {
      title: titles.requests,
      metrics: [metrics.requestCount(endpoint, DASHBOARD_PERIOD).with({ label: 'requests' })],
    },
  ];
}

function targetAnnotation(value: number | undefined, label: string): HorizontalAnnotation[] {
  return value === undefined ? [] : [{ value, label, color: '#d62728' }];
}
