/**
 * The alarm drill: pushes each of a stage's alarms into ALARM, waits for its history to show that
 * its actions ran, and sets it back to OK.
 *
 * Composite alarms are drilled the same way as metric alarms rather than reported as covered by
 * their inputs: SetAlarmState is allowed on composites, and in this stack the burn-rate composites
 * hold the paging actions while their window alarms have none, so only drilling the composite
 * proves a page goes out. A composite set back to OK stays OK until one of its inputs changes,
 * which is its real state when the inputs are OK.
 */
import { SetAlarmStateCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { readHistoryEvidence, type HistoryEvidence } from './alarm-history';
import { listDrillAlarms, type DrillAlarm } from './drill-alarms';
import { orderForDrill } from './drill-order';

/** Reason recorded on every state the drill sets, so the history shows who did it. */
export const DRILL_STATE_REASON = 'alarm drill';

/** How long to wait between two reads of an alarm's history, unless told otherwise. */
export const DEFAULT_POLL_INTERVAL_IN_MILLIS = 10_000;

/** Whether the alarm's ALARM actions ran: `none configured` when it has no actions to run. */
export type ActionsFired = 'yes' | 'no' | 'none configured';

/** The outcome of drilling one alarm. */
export interface AlarmDrillResult {
  readonly alarmName: string;
  readonly alarmType: DrillAlarm['alarmType'];
  /** SetAlarmState to ALARM succeeded. */
  readonly pushedToAlarm: boolean;
  readonly actionsFired: ActionsFired;
  /** `not pushed` when the alarm was never moved, so there was nothing to undo. */
  readonly backToOk: 'yes' | 'no' | 'not pushed';
  readonly error?: string;
}

/** What the drill runs against; `now` and `sleep` are injected so tests never wait. */
export interface AlarmDrillOptions {
  readonly client: CloudWatchClient;
  readonly stage: string;
  /** Drill only this alarm (it must belong to `stage`). */
  readonly alarmName?: string;
  readonly now: () => Date;
  readonly sleep: (millis: number) => Promise<void>;
  /** Longest wait for an alarm's history to show the evidence, from the moment it was pushed. */
  readonly timeoutMs: number;
  /** Default `DEFAULT_POLL_INTERVAL_IN_MILLIS`. */
  readonly pollIntervalMs?: number;
}

/** Drills every alarm of the stage (or the one named) one after another and returns a result per alarm. */
export async function runAlarmDrill(options: AlarmDrillOptions): Promise<AlarmDrillResult[]> {
  const alarms = orderForDrill(await listDrillAlarms(options.client, options.stage, options.alarmName));
  const results: AlarmDrillResult[] = [];
  // One at a time: alarms drilled together could suppress each other's actions.
  for (const alarm of alarms) results.push(await drillAlarm(alarm, options));
  return results;
}

/** True when the result shows something the drill could not prove or undo. */
export function drillFailed(result: AlarmDrillResult): boolean {
  return result.actionsFired === 'no' || result.backToOk === 'no' || result.error !== undefined;
}

async function drillAlarm(alarm: DrillAlarm, options: AlarmDrillOptions): Promise<AlarmDrillResult> {
  const base = { alarmName: alarm.alarmName, alarmType: alarm.alarmType };
  if (alarm.alarmActions.length > 0 && !alarm.actionsEnabled) {
    return { ...base, pushedToAlarm: false, actionsFired: 'no', backToOk: 'not pushed', error: 'actions are disabled' };
  }
  // History is read from the push onwards so an older run's items cannot count as evidence.
  const pushedAt = options.now();
  try {
    await setState(options.client, alarm.alarmName, 'ALARM');
  } catch (error) {
    const noActions = alarm.alarmActions.length === 0;
    return {
      ...base,
      pushedToAlarm: false,
      actionsFired: noActions ? 'none configured' : 'no',
      backToOk: 'not pushed',
      error: `SetAlarmState ALARM failed: ${describeError(error)}`,
    };
  }

  const outcome = await awaitEvidence(alarm, pushedAt, options).catch((error: unknown): Outcome => ({
    kind: 'error',
    message: `DescribeAlarmHistory failed: ${describeError(error)}`,
  }));
  const restore = await setState(options.client, alarm.alarmName, 'OK').then(
    () => undefined,
    (error: unknown) => `SetAlarmState OK failed: ${describeError(error)}`,
  );
  const errors = [outcomeError(outcome, alarm, options.timeoutMs), restore].filter((e) => e !== undefined);
  return {
    ...base,
    pushedToAlarm: true,
    actionsFired: alarm.alarmActions.length === 0 ? 'none configured' : outcome.kind === 'seen' ? 'yes' : 'no',
    backToOk: restore === undefined ? 'yes' : 'no',
    ...(errors.length > 0 ? { error: errors.join('; ') } : {}),
  };
}

type Outcome = HistoryEvidence | { readonly kind: 'timed-out' } | { readonly kind: 'error'; readonly message: string };

/** Reads the history until it shows the evidence or `timeoutMs` has passed since the push. */
async function awaitEvidence(alarm: DrillAlarm, pushedAt: Date, options: AlarmDrillOptions): Promise<Outcome> {
  const deadline = pushedAt.getTime() + options.timeoutMs;
  const interval = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_IN_MILLIS;
  for (;;) {
    const evidence = await readHistoryEvidence(options.client, alarm, pushedAt);
    if (evidence.kind !== 'pending') return evidence;
    const remaining = deadline - options.now().getTime();
    if (remaining <= 0) return { kind: 'timed-out' };
    await options.sleep(Math.min(interval, remaining));
  }
}

function outcomeError(outcome: Outcome, alarm: DrillAlarm, timeoutMs: number): string | undefined {
  const seconds = Math.round(timeoutMs / 1000);
  switch (outcome.kind) {
    case 'seen':
      return undefined;
    case 'pending':
    case 'timed-out': {
      const evidence = alarm.alarmActions.length > 0 ? 'no executed action' : 'no state update to ALARM';
      return `${evidence} in the history within ${seconds} s`;
    }
    case 'action-failed':
      return outcome.summary;
    case 'error':
      return outcome.message;
  }
}

function setState(client: CloudWatchClient, alarmName: string, stateValue: 'ALARM' | 'OK'): Promise<unknown> {
  return client.send(
    new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: stateValue, StateReason: DRILL_STATE_REASON }),
  );
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
