/** Threshold alarms on the objectives themselves: p95 above target, success rate below, error rate above. */
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData, type IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { describeAlarm, endpointSlug } from './alarm-naming';
import type { SloMetrics } from './slo-metrics';
import { alertingPolicy, objectiveEndpoints, type SloSpec } from './slo-spec';

export interface ObjectiveAlarmsProps {
  readonly spec: SloSpec;
  readonly metrics: SloMetrics;
  /** Prefix of every alarm name, e.g. `TriggersApi-Production`. */
  readonly alarmNamePrefix: string;
  readonly action: IAlarmAction;
}

/** One alarm per latency objective, and a success-rate and an error-rate alarm per endpoint. */
export class ObjectiveAlarms extends Construct {
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: ObjectiveAlarmsProps) {
    super(scope, id);
    const { spec, metrics, alarmNamePrefix } = props;
    const policy = alertingPolicy(spec);
    const { periodInMinutes, evaluationPeriods, datapointsToAlarm } = policy.objectiveAlarms;
    const period = Duration.minutes(periodInMinutes);
    const window = `${datapointsToAlarm} of ${evaluationPeriods} periods of ${periodInMinutes} min`;
    const common = { evaluationPeriods, datapointsToAlarm, treatMissingData: TreatMissingData.NOT_BREACHING };

    for (const objective of spec.latency) {
      const slug = endpointSlug(objective.endpoint);
      this.add(
        new Alarm(this, `Latency-${slug}`, {
          ...common,
          alarmName: `${alarmNamePrefix}-latency-${objective.percentile}-${slug}`,
          alarmDescription: describeAlarm(
            policy,
            `${objective.endpoint}: ${objective.percentile} latency above ${objective.targetInMillis} ms in ${window}.`,
            'latency-above-target',
          ),
          metric: metrics.latency(objective.endpoint, objective.percentile, period),
          threshold: objective.targetInMillis,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          // Too few samples for a meaningful percentile at night: keep the previous state.
          evaluateLowSampleCountPercentile: 'ignore',
        }),
        props.action,
      );
    }

    for (const objective of spec.successRate) {
      const slug = endpointSlug(objective.endpoint);
      this.add(
        new Alarm(this, `SuccessRate-${slug}`, {
          ...common,
          alarmName: `${alarmNamePrefix}-success-rate-${slug}`,
          alarmDescription: describeAlarm(
            policy,
            `${objective.endpoint}: success rate below ${objective.minimumPercent} % in ${window}.`,
            'success-rate-below-target',
          ),
          metric: metrics.successRatePercent(objective.endpoint, period),
          threshold: objective.minimumPercent,
          comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        }),
        props.action,
      );
    }

    // Per endpoint: one expression summing every endpoint would exceed CloudWatch's 10 metrics per alarm.
    const { maximumPercent } = spec.errorRate;
    for (const endpoint of objectiveEndpoints(spec)) {
      const slug = endpointSlug(endpoint);
      this.add(
        new Alarm(this, `ErrorRate-${slug}`, {
          ...common,
          alarmName: `${alarmNamePrefix}-error-rate-${slug}`,
          alarmDescription: describeAlarm(
            policy,
            `${endpoint}: 5xx rate above ${maximumPercent} % in ${window}.`,
            'error-rate-above-maximum',
          ),
          metric: metrics.errorRatePercent(endpoint, period),
          threshold: maximumPercent,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        }),
        props.action,
      );
    }
  }

  private add(alarm: Alarm, action: IAlarmAction): void {
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.alarms.push(alarm);
  }
}
