/**
 * Alarms on what the API's own metrics cannot see: API Gateway's answers (a Lambda that crashes, times out
 * or is throttled records nothing), the function's errors and throttles, and ingestion going silent.
 */
import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, MathExpression, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { describeAlarm, type SeverityActions } from './alarm-naming';
import type { SloMetrics } from './slo-metrics';
import { alertingPolicy, type AlertSeverity, type SloSpec } from '../contract/slo-spec';

/**
 * Severity of each infrastructure alarm: 5xx the API never recorded page (nothing else sees them), the
 * function's own errors and throttles ticket. Ingestion going silent pages where traffic never stops
 * (`trafficExpected`), and tickets elsewhere: an idle staging stage is not an incident.
 */
export const INFRASTRUCTURE_ALARM_SEVERITY = {
  apiGateway5xx: 'page',
  lambdaErrors: 'ticket',
  lambdaThrottles: 'ticket',
} as const satisfies Record<string, AlertSeverity>;

/** Unrecorded 5xx a period must hold before the gateway alarm counts it: one stray failure is not an outage. */
export const MINIMUM_UNRECORDED_5XX = 5;

export interface InfrastructureAlarmsProps {
  readonly spec: SloSpec;
  readonly metrics: SloMetrics;
  readonly alarmNamePrefix: string;
  readonly actions: SeverityActions;
  readonly handler: IFunction;
  readonly httpApi: HttpApi;
  /** Whether the stage always has traffic (production): then an ingestion silence pages, otherwise it tickets. */
  readonly trafficExpected: boolean;
}

/** API Gateway 5xx rate, Lambda errors and throttles, and an alarm when ingestion stops. */
export class InfrastructureAlarms extends Construct {
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: InfrastructureAlarmsProps) {
    super(scope, id);
    const { spec, alarmNamePrefix } = props;
    const policy = alertingPolicy(spec);
    const { periodInMinutes, evaluationPeriods, datapointsToAlarm, minimumRequestsPerPeriod } = policy.objectiveAlarms;
    const period = Duration.minutes(periodInMinutes);
    const window = `${datapointsToAlarm} of ${evaluationPeriods} periods of ${periodInMinutes} min`;
    const common = { evaluationPeriods, datapointsToAlarm };
    const describe = (severity: AlertSeverity, summary: string, anchor: string): string =>
      describeAlarm(policy, `[${severity}] ${summary}`, anchor);

    // HTTP APIs publish AWS/ApiGateway metrics by ApiId and Stage; the API serves its `$default` stage.
    const gateway = (metricName: string): Metric =>
      new Metric({
        namespace: 'AWS/ApiGateway',
        metricName,
        dimensionsMap: { ApiId: props.httpApi.apiId, Stage: props.httpApi.defaultStage?.stageName ?? '$default' },
        statistic: 'Sum',
        period,
      });
    const { maximumPercent } = spec.errorRate;
    this.add(
      props.actions[INFRASTRUCTURE_ALARM_SEVERITY.apiGateway5xx],
      new Alarm(this, 'ApiGateway5xx', {
        ...common,
        alarmName: `${alarmNamePrefix}-api-gateway-5xx-rate`,
        alarmDescription: describe(
          INFRASTRUCTURE_ALARM_SEVERITY.apiGateway5xx,
          `HTTP API: 5xx that API Gateway answered but the API never recorded (crashes, timeouts, init ` +
            `failures, throttles) above ${maximumPercent} % of requests, in ${window} (periods with fewer than ` +
            `${minimumRequestsPerPeriod} requests or ${MINIMUM_UNRECORDED_5XX} such 5xx do not count). 5xx the ` +
            `API recorded are the burn-rate alarms' to page.`,
          'api-gateway-errors',
        ),
        metric: new MathExpression({
          expression:
            `IF(requests >= ${minimumRequestsPerPeriod} AND (FILL(gateway5xx, 0) - FILL(recorded5xx, 0)) >= ${MINIMUM_UNRECORDED_5XX}, ` +
            '100 * (FILL(gateway5xx, 0) - FILL(recorded5xx, 0)) / requests, 0)',
          usingMetrics: {
            gateway5xx: gateway('5xx'),
            recorded5xx: props.metrics.totalServerErrorCount(period),
            requests: gateway('Count'),
          },
          period,
        }),
        threshold: maximumPercent,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );

    const lambdaAlarm = (name: 'lambda-errors' | 'lambda-throttles', metric: Metric, severity: AlertSeverity) =>
      new Alarm(this, name, {
        ...common,
        alarmName: `${alarmNamePrefix}-${name}`,
        alarmDescription: describe(
          severity,
          `API function: ${name === 'lambda-errors' ? 'invocation errors' : 'throttled invocations'} in ${window}.`,
          name,
        ),
        metric,
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    this.add(
      props.actions[INFRASTRUCTURE_ALARM_SEVERITY.lambdaErrors],
      lambdaAlarm(
        'lambda-errors',
        props.handler.metricErrors({ period, statistic: 'Sum' }),
        INFRASTRUCTURE_ALARM_SEVERITY.lambdaErrors,
      ),
    );
    this.add(
      props.actions[INFRASTRUCTURE_ALARM_SEVERITY.lambdaThrottles],
      lambdaAlarm(
        'lambda-throttles',
        props.handler.metricThrottles({ period, statistic: 'Sum' }),
        INFRASTRUCTURE_ALARM_SEVERITY.lambdaThrottles,
      ),
    );

    // Silence must not read as healthy: no ingestion data at all is breaching.
    const ingestionAbsent: AlertSeverity = props.trafficExpected ? 'page' : 'ticket';
    this.add(
      props.actions[ingestionAbsent],
      new Alarm(this, 'IngestionAbsent', {
        ...common,
        alarmName: `${alarmNamePrefix}-ingestion-absent`,
        alarmDescription: describe(
          ingestionAbsent,
          `${spec.ingestion.endpoint}: no event accepted in ${window} (missing data counts as none).`,
          'ingestion-absent',
        ),
        metric: props.metrics.ingestionRate(period, 'SampleCount'),
        threshold: 1,
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.BREACHING,
      }),
    );
  }

  private add(action: SeverityActions[AlertSeverity], alarm: Alarm): void {
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.alarms.push(alarm);
  }
}
