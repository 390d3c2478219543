import {
  EVENT_SK_PREFIX,
  eventSortKey,
  parseEventSortKey,
  type EventMetadata,
  type StoredEvent,
} from '../../../contract/event';
import { DERIVED_INDEX_NAMES, derivedIndex } from '../../../contract/table-schemas';

const DERIVED = DERIVED_INDEX_NAMES.map(derivedIndex);

/** The DynamoDB item of an event (DESIGN §4). */
export interface EventItem {
  tenant_id: string;
  sk: string;
  event_id?: string;
  created_at?: string;
  source: string;
  event_type: string;
  payload: string | Record<string, unknown>;
  /** Written as a `Map`: the marshaller takes a plain object with an own `constructor` label for a class instance. */
  metadata?: EventMetadata | ReadonlyMap<string, string>;
  status: StoredEvent['status'];
  acknowledged_at?: string;
  inbox_pk?: string;
  /** Keys of the inbox filter indexes (derived, like `inbox_pk` only while pending). */
  inbox_source_pk?: string;
  inbox_type_pk?: string;
  inbox_source_type_pk?: string;
  expires_at: number;
}

/**
 * Item for a stored event; `inbox_pk` is set only while pending, which keeps `inbox-index` sparse. It
 * carries the key attributes of every derived index (DERIVED_INDEXES), so the indexes hold it from the start.
 */
export function toEventItem(event: StoredEvent): EventItem {
  const item: EventItem = {
    tenant_id: event.tenantId,
    sk: eventSortKey(event.createdAt, event.eventId),
    event_id: event.eventId,
    created_at: event.createdAt,
    source: event.source,
    event_type: event.eventType,
    payload: event.payloadJson,
    metadata: metadataAttribute(event.metadata),
    status: event.status,
    ...(event.acknowledgedAt ? { acknowledged_at: event.acknowledgedAt } : {}),
    ...(event.status === 'pending' ? { inbox_pk: event.tenantId } : {}),
    expires_at: event.expiresAt,
  };
  for (const index of DERIVED) Object.assign(item, index.derive(item as unknown as Record<string, unknown>));
  return item;
}

/** Event of an item, including legacy items whose id and creation time live only in `sk`. */
export function fromEventItem(item: EventItem): StoredEvent {
  const fromSk = parseEventSortKey(item.sk);
  // The key is the truth: update and delete rebuild it from these two values.
  const eventId = fromSk?.eventId ?? item.event_id;
  const createdAt = fromSk?.createdAt ?? item.created_at;
  if (!eventId || !createdAt) throw new Error(`Item ${item.tenant_id}/${item.sk} is not an event`);
  return {
    tenantId: item.tenant_id,
    eventId,
    createdAt,
    source: item.source,
    eventType: item.event_type,
    payloadJson: typeof item.payload === 'string' ? item.payload : JSON.stringify(item.payload),
    metadata: (item.metadata as EventMetadata | undefined) ?? {},
    status: item.status,
    ...(item.acknowledged_at ? { acknowledgedAt: item.acknowledged_at } : {}),
    expiresAt: item.expires_at,
  };
}

/** True for items of the events table that are events (not idempotency or control records). */
export function isEventItem(item: { sk?: unknown }): boolean {
  return typeof item.sk === 'string' && item.sk.startsWith(EVENT_SK_PREFIX);
}

/** Metadata as the DynamoDB map it is stored as, whatever its labels are called. */
function metadataAttribute(metadata: EventMetadata): ReadonlyMap<string, string> {
  const entries = Object.entries(metadata).filter((entry): entry is [string, string] => entry[1] !== undefined);
  return new Map(entries);
}
