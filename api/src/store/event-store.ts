import type { StoredEvent } from '../../../contract/event';
import type { IdempotencyRecord } from '../../../contract/idempotency';

/** How an event was found: through `event-id-index`, or by scanning the tenant's partition. */
export type LookupMethod = 'gsi' | 'scan';

export interface FoundEvent {
  event: StoredEvent;
  method: LookupMethod;
}

export interface InboxQuery {
  tenantId: string;
  limit: number;
  /** Sort key of the last event the client has seen; the page starts after it. */
  afterSk?: string;
  source?: string;
  eventType?: string;
  /** Epoch seconds: expired events are not returned. */
  now: number;
}

export interface InboxPage {
  events: StoredEvent[];
  /** Sort key to continue from, when more events may follow. */
  nextAfterSk?: string;
}

/** Persistence of events and idempotency records. Implementations map their faults to `ApiError`s. */
export interface EventStore {
  /** Writes a new event; resolves `false` when an item with its key already exists. */
  putEvent(event: StoredEvent): Promise<boolean>;
  /**
   * Writes up to 25 new events (fresh ids) in one batch, retrying what the store leaves unprocessed; resolves
   * the events still not written after the last attempt. When it throws, each event may or may not be written.
   */
  putEvents(events: readonly StoredEvent[]): Promise<StoredEvent[]>;
  /** Whether the event's item exists, by a strongly consistent read of its key that gives up after `timeoutMs`. */
  eventExists(event: StoredEvent, timeoutMs: number): Promise<boolean>;
  /** Finds a tenant's event by id, whichever way the table allows; undefined when absent or expired. */
  findEvent(tenantId: string, eventId: string, now: number): Promise<FoundEvent | undefined>;
  /** Marks a pending event acknowledged; resolves the updated event, or throws `ConflictError` if it was not pending. */
  acknowledgeEvent(event: StoredEvent, acknowledgedAt: string): Promise<StoredEvent>;
  /** Deletes an event; deleting a missing one is not an error. */
  deleteEvent(event: StoredEvent): Promise<void>;
  /** Pending events of a tenant, oldest first. */
  listInbox(query: InboxQuery): Promise<InboxPage>;
  /** Reserves an idempotency key; resolves `false` when a live record for it already exists. */
  reserveIdempotencyKey(record: IdempotencyRecord, now: number): Promise<boolean>;
  getIdempotencyRecord(tenantId: string, key: string): Promise<IdempotencyRecord | undefined>;
  /** Records that the event reserved under the key was deleted by the client. */
  markIdempotentEventDeleted(tenantId: string, key: string, eventId: string): Promise<void>;
}
