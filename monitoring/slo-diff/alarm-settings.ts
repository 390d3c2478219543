/** Reads metric and composite alarms out of synthesized templates into comparable settings. */
import { isRecord, resourcesOfType, type TemplateSet } from './cfn-template';
import { resolveTokens } from './cfn-tokens';

/** The alarm fields the SLO diff compares, in the order they are shown. */
export const ALARM_FIELDS = [
  'threshold',
  'comparisonOperator',
  'statistic',
  'period',
  'evaluationPeriods',
  'datapointsToAlarm',
  'metric',
  'treatMissingData',
  'alarmRule',
  'actionsSuppressor',
  'suppressionExtension',
  'notifies',
] as const;

export type AlarmField = (typeof ALARM_FIELDS)[number];

/** One alarm as the diff sees it: keyed by AlarmName, else `stack/logicalId`. */
export interface AlarmSummary {
  readonly key: string;
  readonly stack: string;
  readonly kind: 'metric' | 'composite';
  readonly settings: Readonly<Partial<Record<AlarmField, string>>>;
}

const METRIC_ALARM = 'AWS::CloudWatch::Alarm';
const COMPOSITE_ALARM = 'AWS::CloudWatch::CompositeAlarm';

/** Every alarm in the templates keyed by name; a later duplicate name overwrites an earlier one. */
export function alarmsOf(templates: TemplateSet): Map<string, AlarmSummary> {
  const alarms = new Map<string, AlarmSummary>();
  for (const { stack, logicalId, properties } of resourcesOfType(templates, [METRIC_ALARM, COMPOSITE_ALARM])) {
    const key = properties.AlarmName === undefined ? `${stack}/${logicalId}` : resolveTokens(properties.AlarmName);
    const composite = properties.AlarmRule !== undefined;
    const settings = composite ? compositeSettings(properties) : metricSettings(properties);
    alarms.set(key, { key, stack, kind: composite ? 'composite' : 'metric', settings });
  }
  return alarms;
}

function compositeSettings(properties: Record<string, unknown>): Partial<Record<AlarmField, string>> {
  return withoutUndefined({
    alarmRule: text(properties.AlarmRule),
    actionsSuppressor: text(properties.ActionsSuppressor),
    suppressionExtension: text(properties.ActionsSuppressorExtensionPeriod),
    notifies: text(properties.AlarmActions),
  });
}

function metricSettings(properties: Record<string, unknown>): Partial<Record<AlarmField, string>> {
  // Metric-math alarms keep statistic and period on the inner MetricStat queries, not on the alarm.
  const queries = Array.isArray(properties.Metrics) ? properties.Metrics.filter(isRecord) : [];
  const stats = queries.map((query) => query.MetricStat).filter(isRecord);
  const returned = queries.find((query) => query.ReturnData !== false) ?? queries[0];
  return withoutUndefined({
    threshold: text(properties.Threshold),
    comparisonOperator: text(properties.ComparisonOperator),
    statistic: text(properties.ExtendedStatistic ?? properties.Statistic) ?? joined(stats.map((stat) => stat.Stat)),
    period: text(properties.Period) ?? joined(stats.map((stat) => stat.Period)),
    evaluationPeriods: text(properties.EvaluationPeriods),
    datapointsToAlarm: text(properties.DatapointsToAlarm),
    treatMissingData: text(properties.TreatMissingData),
    notifies: text(properties.AlarmActions),
    metric: text(properties.MetricName) ?? (returned ? text(returned.Expression ?? metricNameOf(returned)) : undefined),
  });
}

function metricNameOf(query: Record<string, unknown>): unknown {
  const stat = isRecord(query.MetricStat) ? query.MetricStat : {};
  return isRecord(stat.Metric) ? stat.Metric.MetricName : undefined;
}

function joined(values: readonly unknown[]): string | undefined {
  const distinct = [...new Set(values.filter((value) => value !== undefined).map(resolveTokens))];
  return distinct.length > 0 ? distinct.join(', ') : undefined;
}

function text(value: unknown): string | undefined {
  return value === undefined ? undefined : resolveTokens(value);
}

function withoutUndefined(
  settings: Partial<Record<AlarmField, string | undefined>>,
): Partial<Record<AlarmField, string>> {
  return Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined));
}
