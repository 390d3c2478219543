/** Dashboard sections generated from the SLO spec: one per endpoint, plus ingestion and lookup method. */
import { Duration } from 'aws-cdk-lib';
import type { HorizontalAnnotation } from 'aws-cdk-lib/aws-cloudwatch';
import type { CustomMetricGroup, MonitoringFacade } from 'cdk-monitoring-constructs';
import { LOOKUP_METHODS, type ApiEndpoint } from '../api/src/observability/metric-definitions';
import type { SloMetrics } from './slo-metrics';
import { latencyTargetInMillis, objectiveEndpoints, successRateTargetPercent, type SloSpec } from './slo-spec';

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
    alarmFriendlyName: 'SLO ingestion',
    humanReadableName: 'Ingestion and lookups',
    metricGroups: [
      {
        title: 'Event ingestion rate (events/s)',
        addToSummaryDashboard: true,
        metrics: [
          metrics.ingestionRate(DASHBOARD_PERIOD, 'Average').with({ label: 'average' }),
          metrics.ingestionRate(DASHBOARD_PERIOD, 'Maximum').with({ label: 'peak second' }),
        ],
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
