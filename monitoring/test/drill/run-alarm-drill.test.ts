import {
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  SetAlarmStateCommand,
  type AlarmHistoryItem,
} from '@aws-sdk/client-cloudwatch';
import { AlarmDrillError, NoAlarmsToDrillError } from '../../drill/errors';
import { drillFailed, runAlarmDrill, type AlarmDrillOptions } from '../../drill/run-alarm-drill';
import {
  cloudWatchDouble,
  compositeAlarm,
  DRILL_START,
  executedAction,
  fakeClock,
  metricAlarm,
  STAGE,
  stateUpdateToAlarm,
  TOPIC_ARN,
} from './cloudwatch-double';

const LATENCY = `TriggersApi-${STAGE}-latency-p95-post-v1-events`;
const ERROR_RATE = `TriggersApi-${STAGE}-error-rate-post-v1-events`;
const FAST_BURN = `TriggersApi-${STAGE}-burn-fast-burn-success-rate-post-v1-events`;
const TIMEOUT_IN_MILLIS = 60_000;
const POLL_INTERVAL_IN_MILLIS = 10_000;

function drillOptions(double: ReturnType<typeof cloudWatchDouble>, overrides: Partial<AlarmDrillOptions> = {}) {
  const clock = fakeClock();
  const options: AlarmDrillOptions = {
    client: double.client,
    stage: STAGE,
    now: clock.now,
    sleep: clock.sleep,
    timeoutMs: TIMEOUT_IN_MILLIS,
    pollIntervalMs: POLL_INTERVAL_IN_MILLIS,
    ...overrides,
  };
  return { options, sleep: clock.sleep };
}

function historyFor(double: ReturnType<typeof cloudWatchDouble>, alarmName: string, items: AlarmHistoryItem[]): void {
  double.mock.on(DescribeAlarmHistoryCommand, { AlarmName: alarmName }).resolves({ AlarmHistoryItems: items });
}

describe('runAlarmDrill', () => {
  it('sets the alarm to ALARM, then back to OK, with the drill as the reason', async () => {
    const double = cloudWatchDouble({ metric: [metricAlarm(LATENCY)] });
    historyFor(double, LATENCY, [executedAction(LATENCY)]);

    await runAlarmDrill(drillOptions(double).options);

    expect(double.mock.commandCalls(SetAlarmStateCommand).map((call) => call.args[0].input)).toEqual([
      { AlarmName: LATENCY, StateValue: 'ALARM', StateReason: 'alarm drill' },
      { AlarmName: LATENCY, StateValue: 'OK', StateReason: 'alarm drill' },
    ]);
  });

  it('lists the stage alarms by prefix, metric and composite, following every page', async () => {
    const double = cloudWatchDouble();
    double.mock
      .on(DescribeAlarmsCommand)
      .resolves({ MetricAlarms: [metricAlarm(LATENCY)], CompositeAlarms: [], NextToken: 'page-2' });
    double.mock
      .on(DescribeAlarmsCommand, { NextToken: 'page-2' })
      .resolves({ MetricAlarms: [metricAlarm(ERROR_RATE)], CompositeAlarms: [compositeAlarm(FAST_BURN)] });
    for (const name of [LATENCY, ERROR_RATE, FAST_BURN]) historyFor(double, name, [executedAction(name)]);

    const results = await runAlarmDrill(drillOptions(double).options);

    expect(double.mock.commandCalls(DescribeAlarmsCommand).map((call) => call.args[0].input)).toEqual([
      { AlarmNamePrefix: `TriggersApi-${STAGE}-`, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] },
      { AlarmNamePrefix: `TriggersApi-${STAGE}-`, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], NextToken: 'page-2' },
    ]);
    expect(results.map((result) => [result.alarmName, result.alarmType])).toEqual([
      [FAST_BURN, 'composite'],
      [ERROR_RATE, 'metric'],
      [LATENCY, 'metric'],
    ]);
  });

  it('reports an alarm ok when its history shows the action was executed', async () => {
    const double = cloudWatchDouble({ metric: [metricAlarm(LATENCY)] });
    historyFor(double, LATENCY, [executedAction(LATENCY)]);

    const [result] = await runAlarmDrill(drillOptions(double).options);

    expect(result).toEqual({
      alarmName: LATENCY,
      alarmType: 'metric',
      pushedToAlarm: true,
      actionsFired: 'yes',
      backToOk: 'yes',
    });
    expect(drillFailed(result)).toBe(false);
  });

  it('reads the Action history from the moment the alarm was pushed', async () => {
    const double = cloudWatchDouble({ metric: [metricAlarm(LATENCY)] });
    historyFor(double, LATENCY, [executedAction(LATENCY)]);

    await runAlarmDrill(drillOptions(double).options);

    expect(double.mock.commandCalls(DescribeAlarmHistoryCommand).map((call) => call.args[0].input)).toEqual([
      { AlarmName: LATENCY, AlarmTypes: ['MetricAlarm'], HistoryItemType: 'Action', StartDate: DRILL_START },
    ]);
  });

  it('keeps polling until the action appears, sleeping between reads', async () => {
    const double = cloudWatchDouble({ metric: [metricAlarm(LATENCY)] });
    double.mock
      .on(DescribeAlarmHistoryCommand, { AlarmName: LATENCY })
      .resolvesOnce({ AlarmHistoryItems: [] })
      .resolvesOnce({ AlarmHistoryItems: [] })
      .resolves({ AlarmHistoryItems: [executedAction(LATENCY)] });
    const { options, sleep } = drillOptions(double);

    const [result] = await runAlarmDrill(options);

    expect(result?.actionsFired).toBe('yes');
    expect(sleep.mock.calls).toEqual([[POLL_INTERVAL_IN_MILLIS], [POLL_INTERVAL_IN_MILLIS]]);
  });

  it('reports an alarm failed after the bounded wait when its history never shows the action, and still sets it back to OK', async () => {
    const double = cloudWatchDouble({ metric: [metricAlarm(LATENCY)] });
    const { options, sleep } = drillOptions(double);

    const [result] = await runAlarmDrill(options);

    expect(result).toEqual({
      alarmName: LATENCY,
      alarmType: 'metric',
      pushedToAlarm: true,
      actionsFired: 'no',
      backToOk: 'yes',
      error: 'no executed action in the history within 60 s',
    });
    expect(drillFailed(result)).toBe(true);
    expect(sleep.mock.calls.reduce((total, [millis]) => total + millis, 0)).toBe(TIMEOUT_IN_MILLIS);
    expect(double.mock.commandCalls(DescribeAlarmHistoryCommand)).toHaveLength(
      TIMEOUT_IN_MILLIS / POLL_INTERVAL_IN_MILLIS + 1,
    );
    expect(double.mock.commandCalls(SetAlarmStateCommand).at(-1)?.args[0].input.StateValue).toBe('OK');
  });

  it('ignores executed actions of other topics', async () => {
    const double = cloudWatchDouble({ metric: [metricAlarm(LATENCY)] });
    const otherTopic = {
      ...executedAction(LATENCY),
      HistorySummary: 'Successfully executed action arn:aws:sns:x:1:other',
    };
    historyFor(double, LATENCY, [otherTopic]);

    const [result] = await runAlarmDrill(drillOptions(double).options);

    expect(result?.actionsFired).toBe('no');
  });

  it('reports the failure CloudWatch recorded when the action could not be executed', async () => {
    const double = cloudWatchDouble({ metric: [metricAlarm(LATENCY)] });
    const failedSummary = `Failed to execute action ${TOPIC_ARN}. Received error: "Resource is not authorized"`;
    historyFor(double, LATENCY, [{ ...executedAction(LATENCY), HistorySummary: failedSummary }]);
    const { options, sleep } = drillOptions(double);

    const [result] = await runAlarmDrill(options);

    expect(result).toMatchObject({ actionsFired: 'no', backToOk: 'yes', error: failedSummary });
    expect(sleep).not.toHaveBeenCalled();
  });

  it('proves an alarm without actions by its StateUpdate to ALARM', async () => {
    const windowAlarm = `${FAST_BURN}-5m`;
    const double = cloudWatchDouble({ metric: [metricAlarm(windowAlarm, { AlarmActions: [], OKActions: [] })] });
    historyFor(double, windowAlarm, [stateUpdateToAlarm(windowAlarm)]);

    const [result] = await runAlarmDrill(drillOptions(double).options);

    expect(double.mock.commandCalls(DescribeAlarmHistoryCommand)[0]?.args[0].input.HistoryItemType).toBe('StateUpdate');
    expect(result).toEqual({
      alarmName: windowAlarm,
      alarmType: 'metric',
      pushedToAlarm: true,
      actionsFired: 'none configured',
      backToOk: 'yes',
    });
  });

  it('fails an alarm without actions whose history never shows the state update', async () => {
    const windowAlarm = `${FAST_BURN}-5m`;
    const double = cloudWatchDouble({ metric: [metricAlarm(windowAlarm, { AlarmActions: [] })] });

    const [result] = await runAlarmDrill(drillOptions(double).options);

    expect(result).toMatchObject({
      actionsFired: 'none configured',
      error: 'no state update to ALARM in the history within 60 s',
    });
    expect(drillFailed(result)).toBe(true);
  });

  it('drills a composite alarm the same way, reading composite history', async () => {
    const double = cloudWatchDouble({ composite: [compositeAlarm(FAST_BURN)] });
    historyFor(double, FAST_BURN, [executedAction(FAST_BURN)]);

    const [result] = await runAlarmDrill(drillOptions(double).options);

    expect(result).toMatchObject({ alarmType: 'composite', actionsFired: 'yes', backToOk: 'yes' });
    expect(double.mock.commandCalls(DescribeAlarmHistoryCommand)[0]?.args[0].input.AlarmTypes).toEqual([
      'CompositeAlarm',
    ]);
  });

  it('does not push an alarm whose actions are disabled, and reports it failed', async () => {
    const double = cloudWatchDouble({ metric: [metricAlarm(LATENCY, { ActionsEnabled: false })] });

    const [result] = await runAlarmDrill(drillOptions(double).options);

    expect(result).toMatchObject({ pushedToAlarm: false, actionsFired: 'no', error: 'actions are disabled' });
    expect(double.mock.commandCalls(SetAlarmStateCommand)).toHaveLength(0);
  });

  it('reports an alarm that could not be pushed without trying to set it back', async () => {
    const double = cloudWatchDouble({ metric: [metricAlarm(LATENCY)] });
    const denied = Object.assign(new Error('not authorized to perform cloudwatch:SetAlarmState'), {
      name: 'AccessDenied',
    });
    double.mock.on(SetAlarmStateCommand).rejects(denied);

    const [result] = await runAlarmDrill(drillOptions(double).options);

    expect(result).toMatchObject({
      pushedToAlarm: false,
      actionsFired: 'no',
      backToOk: 'not pushed',
      error: 'SetAlarmState ALARM failed: AccessDenied: not authorized to perform cloudwatch:SetAlarmState',
    });
    expect(double.mock.commandCalls(SetAlarmStateCommand)).toHaveLength(1);
  });

  it('reports an alarm failed when it could not be set back to OK', async () => {
    const double = cloudWatchDouble({ metric: [metricAlarm(LATENCY)] });
    historyFor(double, LATENCY, [executedAction(LATENCY)]);
    double.mock.on(SetAlarmStateCommand, { StateValue: 'OK' }).rejects(new Error('throttled'));

    const [result] = await runAlarmDrill(drillOptions(double).options);

    expect(result).toMatchObject({
      actionsFired: 'yes',
      backToOk: 'no',
      error: 'SetAlarmState OK failed: Error: throttled',
    });
    expect(drillFailed(result)).toBe(true);
  });

  it('drills only the alarm named with --alarm', async () => {
    const double = cloudWatchDouble({ metric: [metricAlarm(ERROR_RATE)] });
    historyFor(double, ERROR_RATE, [executedAction(ERROR_RATE)]);

    const results = await runAlarmDrill(drillOptions(double, { alarmName: ERROR_RATE }).options);

    expect(double.mock.commandCalls(DescribeAlarmsCommand).map((call) => call.args[0].input)).toEqual([
      { AlarmNames: [ERROR_RATE], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] },
    ]);
    expect(results.map((result) => result.alarmName)).toEqual([ERROR_RATE]);
    expect(double.mock.commandCalls(SetAlarmStateCommand).map((call) => call.args[0].input.AlarmName)).toEqual([
      ERROR_RATE,
      ERROR_RATE,
    ]);
  });

  it('refuses an --alarm of another stage before calling CloudWatch', async () => {
    const double = cloudWatchDouble();

    const drill = runAlarmDrill(drillOptions(double, { alarmName: 'TriggersApi-Production-error-rate-x' }).options);

    await expect(drill).rejects.toThrow(AlarmDrillError);
    expect(double.mock.calls()).toHaveLength(0);
  });

  it.each([
    ['the stage has no alarms', undefined, `no alarms named "TriggersApi-${STAGE}-*"`],
    ['the named alarm does not exist', LATENCY, `alarm "${LATENCY}" not found`],
  ])('fails when %s', async (_case, alarmName, message) => {
    const double = cloudWatchDouble();

    const drill = runAlarmDrill(drillOptions(double, alarmName ? { alarmName } : {}).options);

    await expect(drill).rejects.toThrow(new NoAlarmsToDrillError(message));
  });

  it('drills a suppressed burn-rate tier before the faster tier that suppresses it', async () => {
    const mediumBurn = `TriggersApi-${STAGE}-burn-medium-burn-success-rate-post-v1-events`;
    const fastLong = `${FAST_BURN}-60m`;
    const double = cloudWatchDouble({
      metric: [metricAlarm(fastLong, { AlarmActions: [] })],
      composite: [
        compositeAlarm(FAST_BURN, { AlarmRule: `(ALARM("${fastLong}") AND ALARM("${FAST_BURN}-5m"))` }),
        compositeAlarm(mediumBurn, { ActionsSuppressor: FAST_BURN }),
      ],
    });
    for (const name of [FAST_BURN, mediumBurn]) historyFor(double, name, [executedAction(name)]);
    historyFor(double, fastLong, [stateUpdateToAlarm(fastLong)]);

    const results = await runAlarmDrill(drillOptions(double).options);

    expect(results.map((result) => result.alarmName)).toEqual([mediumBurn, FAST_BURN, fastLong]);
  });
});
