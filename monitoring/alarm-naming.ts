/** Names and descriptions shared by every SLO alarm. */
import { runbookUrl, type AlertingPolicy } from './slo-spec';

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
