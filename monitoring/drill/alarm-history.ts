/** Reads an alarm's history for the evidence that a pushed ALARM state ran its actions. */
import {
  DescribeAlarmHistoryCommand,
  type AlarmHistoryItem,
  type CloudWatchClient,
  type HistoryItemType,
} from '@aws-sdk/client-cloudwatch';
import type { DrillAlarm } from './drill-alarms';

/** What the history shows so far: nothing yet, the evidence, or an action that failed. */
export type HistoryEvidence =
  | { readonly kind: 'pending' }
  | { readonly kind: 'seen' }
  | { readonly kind: 'action-failed'; readonly summary: string };

/**
 * An alarm with actions is proven by an Action item for one of its ALARM actions; one without
 * actions only by a StateUpdate item into ALARM.
 */
export function evidenceItemType(alarm: DrillAlarm): HistoryItemType {
  return alarm.alarmActions.length > 0 ? 'Action' : 'StateUpdate';
}

/** The evidence in `alarm`'s history since `since`, following every page. */
export async function readHistoryEvidence(
  client: CloudWatchClient,
  alarm: DrillAlarm,
  since: Date,
): Promise<HistoryEvidence> {
  const historyItemType = evidenceItemType(alarm);
  const items: AlarmHistoryItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new DescribeAlarmHistoryCommand({
        AlarmName: alarm.alarmName,
        AlarmTypes: [alarm.alarmType === 'metric' ? 'MetricAlarm' : 'CompositeAlarm'],
        HistoryItemType: historyItemType,
        StartDate: since,
        ...(nextToken ? { NextToken: nextToken } : {}),
      }),
    );
    items.push(...(page.AlarmHistoryItems ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  return historyItemType === 'Action' ? actionEvidence(alarm, items) : stateUpdateEvidence(items);
}

// CloudWatch writes "Successfully executed action <arn>" or "Failed to execute action <arn>".
function actionEvidence(alarm: DrillAlarm, items: readonly AlarmHistoryItem[]): HistoryEvidence {
  const forOurActions = items.filter((item) =>
    alarm.alarmActions.some((action) => item.HistorySummary?.includes(action)),
  );
  if (forOurActions.some((item) => item.HistorySummary?.startsWith('Successfully executed action'))) {
    return { kind: 'seen' };
  }
  const failed = forOurActions.find((item) => item.HistorySummary?.startsWith('Failed to execute action'));
  return failed ? { kind: 'action-failed', summary: failed.HistorySummary ?? '' } : { kind: 'pending' };
}

function stateUpdateEvidence(items: readonly AlarmHistoryItem[]): HistoryEvidence {
  return items.some(isUpdateToAlarm) ? { kind: 'seen' } : { kind: 'pending' };
}

// HistoryData is JSON with `newState.stateValue`; the summary ("Alarm updated from OK to ALARM") is the fallback.
function isUpdateToAlarm(item: AlarmHistoryItem): boolean {
  try {
    const data = JSON.parse(item.HistoryData ?? '') as { newState?: { stateValue?: unknown } };
    if (data.newState?.stateValue !== undefined) return data.newState.stateValue === 'ALARM';
  } catch {
    // Not JSON: fall through to the summary.
  }
  return /\bto ALARM$/.test(item.HistorySummary ?? '');
}
