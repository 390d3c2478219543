/** Delivery priority a client may attach to an event. */
export type Priority = 'low' | 'normal' | 'high';

export type EventStatus = 'pending' | 'acknowledged';

/** Client-supplied metadata: known keys plus free-form string labels. */
export interface EventMetadata {
  priority?: Priority;
  correlation_id?: string;
  idempotency_key?: string;
  [label: string]: string | undefined;
}

/** An event as the store keeps it. `payloadJson` is the client's payload as exact JSON text. */
export interface StoredEvent {
  tenantId: string;
  eventId: string;
  createdAt: string;
  source: string;
  eventType: string;
  payloadJson: string;
  metadata: EventMetadata;
  status: EventStatus;
  acknowledgedAt?: string;
  expiresAt: number;
}

const SK_PREFIX = 'EVENT#';

/** Sort key of an event: time-ordered per tenant, unique by event id. */
export function eventSortKey(createdAt: string, eventId: string): string {
  return `${SK_PREFIX}${createdAt}#${eventId}`;
}

/** Splits an event sort key into its creation time and event id (legacy items carry the id only here). */
export function parseEventSortKey(sk: string): { createdAt: string; eventId: string } | undefined {
  if (!sk.startsWith(SK_PREFIX)) return undefined;
  const rest = sk.slice(SK_PREFIX.length);
  const hash = rest.lastIndexOf('#');
  if (hash <= 0) return undefined;
  return { createdAt: rest.slice(0, hash), eventId: rest.slice(hash + 1) };
}

export const EVENT_SK_PREFIX = SK_PREFIX;

/** Epoch seconds, the unit of DynamoDB's TTL attribute. */
export function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
