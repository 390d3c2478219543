/** Small hand-built templates shaped like the MonitoringStack's output, for testing the pure core. */

export interface LatencyFixture {
  readonly endpoint: string;
  readonly targetInMillis: number;
}

const BASE_SPEC = {
  successRate: [{ endpoint: 'POST /v1/events', minimumPercent: 99.9 }],
  errorRate: { maximumPercent: 0.1 },
  ingestion: { endpoint: 'POST /v1/events', minimumEventsPerSecond: 1000 },
};

/** A spec of the `SloSpec` shape with the given latency objectives. */
export function specWith(latency: readonly LatencyFixture[]): unknown {
  return { ...BASE_SPEC, latency: latency.map((objective) => ({ ...objective, percentile: 'p95' })) };
}

/** A monitoring stack template: per latency objective a p95 alarm, a burn-rate composite and a widget. */
export function templatesWith(latency: readonly LatencyFixture[]): Record<string, unknown> {
  const resources: Record<string, unknown> = {};
  const widgets: unknown[] = [];
  latency.forEach(({ endpoint, targetInMillis }, index) => {
    resources[`LatencyAlarm${index}`] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${endpoint} p95 latency`,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 5,
        ExtendedStatistic: 'p95',
        MetricName: 'RequestLatency',
        Namespace: 'TriggersApi',
        Period: 60,
        Threshold: targetInMillis,
      },
    };
    resources[`BurnAlarm${index}`] = {
      Type: 'AWS::CloudWatch::CompositeAlarm',
      Properties: {
        AlarmName: `${endpoint} latency burn 1h/5m`,
        AlarmRule: {
          'Fn::Join': ['', ['ALARM("', { 'Fn::GetAtt': [`LatencyAlarm${index}`, 'Arn'] }, '")']],
        },
      },
    };
    widgets.push({
      type: 'metric',
      properties: {
        title: `${endpoint} latency`,
        region: REGION_TOKEN,
        annotations: { horizontal: [{ label: 'p95 target', value: targetInMillis }] },
      },
    });
  });
  resources.Dashboard = {
    Type: 'AWS::CloudWatch::Dashboard',
    Properties: { DashboardName: 'TriggersApi-SLO', DashboardBody: joinedDashboard(widgets) },
  };
  return { 'TriggersMonitoring-Production': { Resources: resources } };
}

/** Stands for the region inside widget properties; `joinedDashboard` turns it into a `Ref` token. */
export const REGION_TOKEN = '__REGION__';

/** A DashboardBody as CDK synthesizes it: an `Fn::Join` of JSON fragments and `Ref: AWS::Region` tokens. */
export function joinedDashboard(widgets: readonly unknown[]): unknown {
  const fragments = JSON.stringify({ widgets }).split(REGION_TOKEN);
  const parts = fragments.flatMap((fragment, index) => (index === 0 ? [fragment] : [{ Ref: 'AWS::Region' }, fragment]));
  return { 'Fn::Join': ['', parts] };
}
