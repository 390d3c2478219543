/**
 * Threshold alarms on the objectives themselves: p95 above target and success rate below it per endpoint,
 * and the 5xx rate of every endpoint together above the maximum. Each reads as missed only in periods with
 * at least `minimumRequestsPerPeriod` requests; quieter periods are left to the burn-rate alarms.
 */
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, MathExpression, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { describeAlarm, endpointSlug, type SeverityActions } from './alarm-naming';
import type { SloMetrics } from './slo-metrics';
import { alertingPolicy, type AlertSeverity, type SloSpec } from '../contract/slo-spec';

/** Objective alarms confirm a miss over 15 minutes; the burn-rate tiers are what pages. */
export const OBJECTIVE_ALARM_SEVERITY: AlertSeverity = 'ticket';

export interface ObjectiveAlarmsProps {
  readonly spec: SloSpec;
  readonly metrics: SloMetrics;
  /** Prefix of every alarm name, e.g. `TriggersApi-Production`. */
  readonly alarmNamePrefix: string;
  readonly actions: SeverityActions;
}

/** One alarm per latency and success-rate objective, and one on the error rate of every endpoint together. */
export class ObjectiveAlarms extends Construct {
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: ObjectiveAlarmsProps) {
    super(scope, id);
    const { spec, metrics, alarmNamePrefix } = props;
    const policy = alertingPolicy(spec);
    const { periodInMinutes, evaluationPeriods, datapointsToAlarm, minimumRequestsPerPeriod } = policy.objectiveAlarms;
    const period = Duration.minutes(periodInMinutes);
    const window =
      `${datapointsToAlarm} of ${evaluationPeriods} periods of ${periodInMinutes} min ` +
      `(periods with fewer than ${minimumRequestsPerPeriod} requests do not count)`;
    const common = { evaluationPeriods, datapointsToAlarm, treatMissingData: TreatMissingData.NOT_BREACHING };
    const guarded = (expression: string, quiet: number, usingMetrics: MathExpression['usingMetrics']) =>
      new MathExpression({
        expression: `IF(requests >= ${minimumRequestsPerPeriod}, ${expression}, ${quiet})`,
        usingMetrics,
        period,
      });
    const action = props.actions[OBJECTIVE_ALARM_SEVERITY];

    for (const objective of spec.latency) {
      const slug = endpointSlug(objective.endpoint);
      this.add(
        new Alarm(this, `Latency-${slug}`, {
          ...common,
          alarmName: `${alarmNamePrefix}-latency-${objective.percentile}-${slug}`,
          alarmDescription: describeAlarm(
            policy,
            `[${OBJECTIVE_ALARM_SEVERITY}] ${objective.endpoint}: ${objective.percentile} latency above ` +
              `${objective.targetInMillis} ms in ${window}.`,
            'latency-above-target',
          ),
          // A percentile over a few samples says little (CloudWatch itself wants 20 for p95): quiet periods read 0.
          metric: guarded('latency', 0, {
            latency: metrics.latency(objective.endpoint, objective.percentile, period),
            requests: metrics.latency(objective.endpoint, 'SampleCount', period),
          }),
          threshold: objective.targetInMillis,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        }),
        action,
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
            `[${OBJECTIVE_ALARM_SEVERITY}] ${objective.endpoint}: success rate below ${objective.minimumPercent} % in ${window}.`,
            'success-rate-below-target',
          ),
          metric: guarded('100 * (requests - errors) / requests', 100, {
            errors: metrics.serverErrorCount(objective.endpoint, period),
            requests: metrics.requestCount(objective.endpoint, period),
          }),
          threshold: objective.minimumPercent,
          comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        }),
        action,
      );
    }

    // The error-rate objective covers every endpoint together, from the series the API emits without
    // dimensions; per endpoint it would only repeat the success-rate alarms (5xx rate = 100 - success rate).
    const { maximumPercent } = spec.errorRate;
    this.add(
      new Alarm(this, 'ErrorRate-all-endpoints', {
        ...common,
        alarmName: `${alarmNamePrefix}-error-rate-all-endpoints`,
        alarmDescription: describeAlarm(
          policy,
          `[${OBJECTIVE_ALARM_SEVERITY}] All endpoints: 5xx rate above ${maximumPercent} % in ${window}.`,
          'error-rate-above-maximum',
        ),
        metric: guarded('100 * errors / requests', 0, {
          errors: metrics.totalServerErrorCount(period),
          requests: metrics.totalRequestCount(period),
        }),
        threshold: maximumPercent,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      }),
      action,
    );
  }

  private add(alarm: Alarm, action: SeverityActions[AlertSeverity]): void {
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.alarms.push(alarm);
  }
}
