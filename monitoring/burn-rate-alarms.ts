/**
 * Multi-window, multi-burn-rate error-budget alarms (Google SRE workbook, ch. 5): per objective and
 * tier, a composite alarm of a long AND a short window, each a math-expression alarm on the burn rate.
 */
import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmRule,
  ComparisonOperator,
  CompositeAlarm,
  MathExpression,
  TreatMissingData,
  type IAlarm,
  type Metric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { describeAlarm, endpointSlug, type SeverityActions } from './alarm-naming';
import type { SloMetrics } from './slo-metrics';
import {
  budgetSpentPercent,
  alertingPolicy,
  burnRateMinimumRequests,
  latencyErrorBudget,
  successRateErrorBudget,
  suppressionExtensionInMinutes,
  type AlertingPolicy,
  type BurnRateTier,
  type SloSpec,
} from '../contract/slo-spec';

/** What a burn-rate alarm measures: the share of bad requests in a window, against the error budget. */
export interface BudgetedObjective {
  /** `latency` or `success-rate`, used in names. */
  readonly kind: string;
  readonly endpoint: string;
  readonly summary: string;
  /** Share of requests allowed to be bad, e.g. 0.001. */
  readonly errorBudget: number;
  /** The burn-rate expression over one window; it reads 0 while the window has fewer than `minimumRequests`. */
  burnRate(window: Duration, minimumRequests: number): MathExpression;
}

export interface BurnRateAlarmsProps {
  readonly spec: SloSpec;
  readonly metrics: SloMetrics;
  readonly alarmNamePrefix: string;
  /** Each composite notifies the action of its tier's severity. */
  readonly actions: SeverityActions;
}

/** One tier's alarms for one objective. */
export interface BurnRateTierAlarms {
  readonly objective: BudgetedObjective;
  readonly tier: BurnRateTier;
  readonly longWindow: Alarm;
  readonly shortWindow: Alarm;
  readonly composite: CompositeAlarm;
}

/** Burn-rate alarms for every latency and success-rate objective of the spec. */
export class BurnRateAlarms extends Construct {
  readonly tiers: BurnRateTierAlarms[] = [];

  constructor(scope: Construct, id: string, props: BurnRateAlarmsProps) {
    super(scope, id);
    const policy = alertingPolicy(props.spec);
    for (const objective of budgetedObjectives(props.spec, props.metrics)) {
      const scopeId = `${objective.kind}-${endpointSlug(objective.endpoint)}`;
      const objectiveScope = new Construct(this, scopeId);
      const composites: CompositeAlarm[] = [];
      for (const tier of policy.burnRateTiers) {
        const alarms = tierAlarms(objectiveScope, objective, tier, policy, props, composites);
        composites.push(alarms.composite);
        this.tiers.push(alarms);
      }
    }
  }
}

/** The latency and success-rate objectives of a spec as burnable error budgets. */
export function budgetedObjectives(spec: SloSpec, metrics: SloMetrics): BudgetedObjective[] {
  const latency = spec.latency.map((objective): BudgetedObjective => ({
    kind: 'latency',
    endpoint: objective.endpoint,
    summary: `${objective.percentile} latency under ${objective.targetInMillis} ms`,
    errorBudget: latencyErrorBudget(objective),
    burnRate: (window, minimumRequests) =>
      // PR(:t) is the percentage of requests at or under t ms: the good ones.
      burnRateExpression(
        '(100 - good) / 100',
        {
          good: metrics.latency(objective.endpoint, `PR(:${objective.targetInMillis})`, window),
          requests: metrics.latency(objective.endpoint, 'SampleCount', window),
        },
        latencyErrorBudget(objective),
        minimumRequests,
        window,
      ),
  }));
  const successRate = spec.successRate.map((objective): BudgetedObjective => ({
    kind: 'success-rate',
    endpoint: objective.endpoint,
    summary: `success rate of at least ${objective.minimumPercent} %`,
    errorBudget: successRateErrorBudget(objective),
    burnRate: (window, minimumRequests) =>
      burnRateExpression(
        'errors / requests',
        {
          errors: metrics.serverErrorCount(objective.endpoint, window),
          requests: metrics.requestCount(objective.endpoint, window),
        },
        successRateErrorBudget(objective),
        minimumRequests,
        window,
      ),
  }));
  return [...latency, ...successRate];
}

/** `badRatio / budget`, or 0 when the window saw fewer than `minimumRequests` requests. */
function burnRateExpression(
  badRatio: string,
  usingMetrics: { requests: Metric } & Record<string, Metric>,
  errorBudget: number,
  minimumRequests: number,
  window: Duration,
): MathExpression {
  return new MathExpression({
    expression: `IF(requests >= ${minimumRequests}, (${badRatio}) / ${errorBudget}, 0)`,
    usingMetrics,
    period: window,
    label: 'Error budget burn rate',
  });
}

function tierAlarms(
  scope: Construct,
  objective: BudgetedObjective,
  tier: BurnRateTier,
  policy: AlertingPolicy,
  props: BurnRateAlarmsProps,
  fasterComposites: readonly CompositeAlarm[],
): BurnRateTierAlarms {
  const name = `${props.alarmNamePrefix}-burn-${tier.name}-${objective.kind}-${endpointSlug(objective.endpoint)}`;
  const subject = `${objective.endpoint} ${objective.summary}`;
  const minimumRequests = burnRateMinimumRequests(tier, objective.errorBudget, policy);
  const windowAlarm = (label: 'long' | 'short', minutes: number): Alarm =>
    new Alarm(scope, `${tier.name}-${label}`, {
      alarmName: `${name}-${minutes}m`,
      alarmDescription: describeAlarm(
        policy,
        `${subject}: error budget burning over ${tier.burnFactor}x in the last ${minutes} min, ` +
          `with at least ${minimumRequests} requests (input of ${name}; notifies through it).`,
        'error-budget-burn',
      ),
      metric: objective.burnRate(Duration.minutes(minutes), minimumRequests),
      threshold: tier.burnFactor,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  const longWindow = windowAlarm('long', tier.longWindowInMinutes);
  const shortWindow = windowAlarm('short', tier.shortWindowInMinutes);

  const suppressor = fasterSuppressor(scope, name, tier, policy, subject, fasterComposites);
  const composite = new CompositeAlarm(scope, `${tier.name}`, {
    compositeAlarmName: name,
    alarmDescription: describeAlarm(
      policy,
      `[${tier.severity}] ${subject}: error budget burning over ${tier.burnFactor}x in both the last ` +
        `${tier.longWindowInMinutes} min and ${tier.shortWindowInMinutes} min ` +
        `(${budgetSpentPercent(tier, policy)} % of the ${policy.sloPeriodInDays}-day budget per ${tier.longWindowInMinutes} min).`,
      'error-budget-burn',
    ),
    alarmRule: AlarmRule.allOf(longWindow, shortWindow),
    ...(suppressor
      ? {
          actionsSuppressor: suppressor,
          actionsSuppressorExtensionPeriod: Duration.minutes(suppressionExtensionInMinutes(tier)),
        }
      : {}),
  });
  const action = props.actions[tier.severity];
  composite.addAlarmAction(action);
  composite.addOkAction(action);
  return { objective, tier, longWindow, shortWindow, composite };
}

/** The alarm that suppresses a tier: the faster tier, or any of them when there are several. */
function fasterSuppressor(
  scope: Construct,
  name: string,
  tier: BurnRateTier,
  policy: AlertingPolicy,
  subject: string,
  fasterComposites: readonly CompositeAlarm[],
): IAlarm | undefined {
  if (fasterComposites.length <= 1) return fasterComposites[0];
  return new CompositeAlarm(scope, `${tier.name}-faster`, {
    compositeAlarmName: `${name}-faster-tier`,
    alarmDescription: describeAlarm(
      policy,
      `${subject}: a tier faster than ${tier.name} fires; suppresses ${name} (no actions of its own).`,
      'error-budget-burn',
    ),
    alarmRule: AlarmRule.anyOf(...fasterComposites),
  });
}
