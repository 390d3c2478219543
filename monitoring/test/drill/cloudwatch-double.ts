/**
 * A CloudWatch double for the drill tests: there is no local CloudWatch engine, so the SDK client is
 * replaced with `aws-sdk-client-mock` and each test scripts the alarms and history it returns.
 */
import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  SetAlarmStateCommand,
  type AlarmHistoryItem,
  type CompositeAlarm,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';

export const STAGE = 'Staging';
export const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:TriggersApi-Staging-alarms';
export const DRILL_START = new Date('2026-11-27T10:00:00Z');

/** A fresh mocked client; DescribeAlarms answers one page of `alarms`, history is empty, SetAlarmState succeeds. */
export function cloudWatchDouble(alarms: { metric?: MetricAlarm[]; composite?: CompositeAlarm[] } = {}) {
  const client = new CloudWatchClient({ region: 'eu-west-1' });
  const mock = mockClient(client);
  mock
    .on(DescribeAlarmsCommand)
    .resolves({ MetricAlarms: alarms.metric ?? [], CompositeAlarms: alarms.composite ?? [] });
  mock.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: [] });
  mock.on(SetAlarmStateCommand).resolves({});
  return { client, mock };
}

/** A metric alarm of the stage that notifies the alarm topic. */
export function metricAlarm(name: string, overrides: Partial<MetricAlarm> = {}): MetricAlarm {
  return { AlarmName: name, AlarmActions: [TOPIC_ARN], OKActions: [TOPIC_ARN], ActionsEnabled: true, ...overrides };
}

/** A composite alarm of the stage that notifies the alarm topic. */
export function compositeAlarm(name: string, overrides: Partial<CompositeAlarm> = {}): CompositeAlarm {
  return { AlarmName: name, AlarmActions: [TOPIC_ARN], ActionsEnabled: true, AlarmRule: 'TRUE', ...overrides };
}

/** The Action item CloudWatch writes when it published to the topic. */
export function executedAction(alarmName: string): AlarmHistoryItem {
  return {
    AlarmName: alarmName,
    HistoryItemType: 'Action',
    Timestamp: new Date(DRILL_START.getTime() + 2_000),
    HistorySummary: `Successfully executed action ${TOPIC_ARN}`,
    HistoryData: JSON.stringify({ actionState: 'Succeeded', notificationResource: TOPIC_ARN }),
  };
}

/** The StateUpdate item CloudWatch writes when the alarm moved from OK to ALARM. */
export function stateUpdateToAlarm(alarmName: string): AlarmHistoryItem {
  return {
    AlarmName: alarmName,
    HistoryItemType: 'StateUpdate',
    Timestamp: new Date(DRILL_START.getTime() + 1_000),
    HistorySummary: 'Alarm updated from OK to ALARM',
    HistoryData: JSON.stringify({ oldState: { stateValue: 'OK' }, newState: { stateValue: 'ALARM' } }),
  };
}

/** `now` and `sleep` over a clock that only moves when the drill sleeps: no real waiting. */
export function fakeClock(start: Date = DRILL_START) {
  let nowInMillis = start.getTime();
  const sleep = jest.fn((millis: number) => {
    nowInMillis += millis;
    return Promise.resolve();
  });
  return { now: () => new Date(nowInMillis), sleep };
}
