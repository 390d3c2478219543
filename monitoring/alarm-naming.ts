/** Names, descriptions and routing shared by every SLO alarm. */
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import { runbookUrl, type AlertingPolicy, type AlertSeverity } from '../contract/slo-spec';

/** Where each severity notifies: pages and tickets go to different topics, so each can reach its own people. */
export type SeverityActions = Readonly<Record<AlertSeverity, IAlarmAction>>;

/** `POST /v1/events/{event_id}` -> `post-v1-events-event-id`, safe in alarm names and construct ids. */
export function endpointSlug(endpoint: string): string {
  return endpoint
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** An alarm description ending with the runbook link every alarm must carry. */
export function describeAlarm(policy: AlertingPolicy, summary: string, runbookAnchor: string): string {
  return `${summary}\nRunbook: ${runbookUrl(policy, runbookAnchor)}`;
}
