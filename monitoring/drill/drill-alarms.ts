/** Which alarms a drill covers: the stage's metric and composite alarms, or the one named. */
import {
  DescribeAlarmsCommand,
  type CloudWatchClient,
  type CompositeAlarm,
  type DescribeAlarmsCommandInput,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import { AlarmDrillError, NoAlarmsToDrillError } from './errors';

/** One alarm as the drill needs it. */
export interface DrillAlarm {
  readonly alarmName: string;
  readonly alarmType: 'metric' | 'composite';
  readonly alarmActions: readonly string[];
  readonly actionsEnabled: boolean;
  /** Composite only: the alarm whose ALARM state suppresses this one's actions. */
  readonly actionsSuppressor?: string;
  /** Composite only: the alarms its rule reads. */
  readonly ruleInputs: readonly string[];
}

/** `TriggersApi-<Stage>-`, the prefix MonitoringStack gives every alarm of a stage. */
export function stageAlarmPrefix(stage: string): string {
  return `TriggersApi-${stage}-`;
}

/** The stage's alarms in name order, following every DescribeAlarms page; or only `alarmName`. */
export async function listDrillAlarms(
  client: CloudWatchClient,
  stage: string,
  alarmName?: string,
): Promise<DrillAlarm[]> {
  const prefix = stageAlarmPrefix(stage);
  if (alarmName !== undefined && !alarmName.startsWith(prefix)) {
    throw new AlarmDrillError(`alarm "${alarmName}" is not an alarm of stage ${stage} (expected prefix "${prefix}")`);
  }
  const selector: DescribeAlarmsCommandInput = alarmName ? { AlarmNames: [alarmName] } : { AlarmNamePrefix: prefix };
  const alarms: DrillAlarm[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new DescribeAlarmsCommand({
        ...selector,
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
        ...(nextToken ? { NextToken: nextToken } : {}),
      }),
    );
    alarms.push(...(page.MetricAlarms ?? []).map((alarm) => toDrillAlarm(alarm, 'metric')));
    alarms.push(...(page.CompositeAlarms ?? []).map((alarm) => toDrillAlarm(alarm, 'composite')));
    nextToken = page.NextToken;
  } while (nextToken);

  if (alarms.length === 0) {
    throw new NoAlarmsToDrillError(alarmName ? `alarm "${alarmName}" not found` : `no alarms named "${prefix}*"`);
  }
  return alarms.sort((a, b) => a.alarmName.localeCompare(b.alarmName));
}

function toDrillAlarm(alarm: MetricAlarm | CompositeAlarm, alarmType: DrillAlarm['alarmType']): DrillAlarm {
  const composite = alarmType === 'composite' ? (alarm as CompositeAlarm) : undefined;
  return {
    alarmName: alarm.AlarmName ?? '',
    alarmType,
    alarmActions: alarm.AlarmActions ?? [],
    actionsEnabled: alarm.ActionsEnabled ?? true,
    ...(composite?.ActionsSuppressor ? { actionsSuppressor: composite.ActionsSuppressor } : {}),
    ruleInputs: composite?.AlarmRule ? alarmRuleInputs(composite.AlarmRule) : [],
  };
}

/** Names an alarm rule reads: `ALARM("a") AND OK(b)` -> `['a', 'b']`. */
export function alarmRuleInputs(rule: string): string[] {
  return [...rule.matchAll(/\b(?:ALARM|OK|INSUFFICIENT_DATA)\(\s*"?([^")]+?)"?\s*\)/g)].map((match) => match[1] ?? '');
}
