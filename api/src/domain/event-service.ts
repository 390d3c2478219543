import { createHash, randomUUID } from 'node:crypto';
import { ApiError, ConflictError, NotFoundError, ServiceUnavailableError } from '../errors';
import type { EventStore, InboxPage, LookupMethod } from '../store/event-store';
import { epochSeconds, type EventMetadata, type StoredEvent } from '../../../contract/event';
import type { IdempotencyRecord } from '../../../contract/idempotency';
import { throttledWrite, type WriteCoalescer } from './write-coalescer';

/** How long the read that settles a failed write's outcome may take before the outcome is reported unknown. */
const OUTCOME_CHECK_TIMEOUT_MS = 1000;

export interface NewEventInput {
  source: string;
  eventType: string;
  payloadJson: string;
  metadata: EventMetadata;
}

export interface EventServiceOptions {
  store: EventStore;
  /** How long events are kept (the TTL); also enforced on read. */
  retentionSeconds: number;
  /** How long an idempotency key reserves its event. */
  idempotencySeconds: number;
  clock?: () => Date;
  newId?: () => string;
  /** Writes new events without idempotency keys together (a long-running server); absent: one PutItem each. */
  coalescer?: WriteCoalescer;
}

export interface CreatedEvent {
  event: StoredEvent;
  /** True when an earlier request with the same idempotency key created the event. */
  replayed: boolean;
}

/** One item of a batch: the event it created (or found, for a replayed idempotency key), or why it was not. */
export type BatchItemOutcome = CreatedEvent | { error: ApiError };

/** The API's use cases over an `EventStore`, independent of HTTP. */
export class EventService {
  private readonly store: EventStore;
  private readonly retentionSeconds: number;
  private readonly idempotencySeconds: number;
  private readonly clock: () => Date;
  private readonly newId: () => string;
  private readonly coalescer: WriteCoalescer | undefined;

  constructor(options: EventServiceOptions) {
    this.store = options.store;
    this.retentionSeconds = options.retentionSeconds;
    this.idempotencySeconds = options.idempotencySeconds;
    this.clock = options.clock ?? (() => new Date());
    this.newId = options.newId ?? randomUUID;
    this.coalescer = options.coalescer;
  }

  /**
   * Creates an event. With an idempotency key, the key is reserved first (a conditional write holding
   * the whole event), then the event is written; a retry or a concurrent duplicate finds the reservation
   * and returns — re-writing if its first attempt did not — that same event. No transactions needed.
   */
  async create(tenantId: string, input: NewEventInput): Promise<CreatedEvent> {
    const now = this.clock();
    const event = this.newEvent(tenantId, input, now);
    const key = input.metadata.idempotency_key;
    if (key === undefined) {
      await this.writeNew(event, this.coalescer);
      return { event, replayed: false };
    }

    const record: IdempotencyRecord = {
      tenantId,
      key,
      requestHash: idempotencyRequestHash(input),
      event,
      eventDeleted: false,
      expiresAt: epochSeconds(now) + this.idempotencySeconds,
    };
    if (await this.store.reserveIdempotencyKey(record, epochSeconds(now))) {
      await this.writeNew(event);
      return { event, replayed: false };
    }
    const existing = await this.store.getIdempotencyRecord(tenantId, key);
    if (!existing) {
      // The reservation expired and was removed between our two calls: the key is free again.
      return this.create(tenantId, input);
    }
    if (existing.requestHash !== record.requestHash) {
      throw new ConflictError(`Idempotency key '${key}' was already used with a different request`, {
        event_id: existing.event.eventId,
      });
    }
    // Finishes a write an earlier attempt could not complete; a no-op when the event exists.
    if (!existing.eventDeleted && (await this.store.putEvent(existing.event))) {
      // A delete may have tombstoned the reservation between our read and our write: it marks the
      // reservation before deleting, so reading it again tells whether this write must be undone.
      const after = await this.store.getIdempotencyRecord(tenantId, key);
      if (after?.eventDeleted) await this.store.deleteEvent(existing.event);
    }
    return { event: existing.event, replayed: true };
  }

  /**
   * Creates up to 25 events; the outcomes are in the inputs' order. Items with an idempotency key go through
   * {@link create}, exactly as on the single endpoint. The others are written together in one batch: what
   * the store leaves unprocessed after its retries is reported not stored; when the batch call itself fails,
   * each event's key is read once to tell created from not stored (or unknown), as a failed single write is.
   * Errors other than the store being unavailable or a conflict are thrown for the whole batch.
   */
  async createMany(tenantId: string, inputs: readonly NewEventInput[]): Promise<BatchItemOutcome[]> {
    const outcomes: (BatchItemOutcome | undefined)[] = inputs.map(() => undefined);
    const plain: { index: number; event: StoredEvent }[] = [];
    const keyed: Promise<void>[] = [];
    inputs.forEach((input, index) => {
      if (input.metadata.idempotency_key !== undefined) {
        keyed.push(
          this.create(tenantId, input).then(
            (created) => void (outcomes[index] = created),
            (error: unknown) => {
              if (!(error instanceof ConflictError || error instanceof ServiceUnavailableError)) throw error;
              outcomes[index] = { error };
            },
          ),
        );
      } else {
        plain.push({ index, event: this.newEvent(tenantId, input) });
      }
    });
    const written = plain.length === 0 ? Promise.resolve() : this.writeBatch(plain, outcomes);
    await Promise.all([written, ...keyed]);
    return outcomes.map((outcome) => {
      if (outcome === undefined) throw new Error('an event of the batch was left without an outcome');
      return outcome;
    });
  }

  /** A tenant's event; `NotFoundError` when it is absent, expired or another tenant's. */
  async get(tenantId: string, eventId: string): Promise<{ event: StoredEvent; method: LookupMethod }> {
    const found = await this.store.findEvent(tenantId, eventId, epochSeconds(this.clock()));
    if (!found) throw new NotFoundError(`Event ${eventId} not found`);
    return found;
  }

  /** Acknowledges a pending event; `ConflictError` when it already was. */
  async acknowledge(tenantId: string, eventId: string): Promise<{ event: StoredEvent; method: LookupMethod }> {
    const { event, method } = await this.get(tenantId, eventId);
    if (event.status === 'acknowledged') {
      throw new ConflictError(`Event ${eventId} is already acknowledged`, {
        acknowledged_at: event.acknowledgedAt ?? null,
      });
    }
    const acknowledged = await this.store.acknowledgeEvent(event, this.clock().toISOString());
    return { event: acknowledged, method };
  }

  /** Deletes a tenant's event; deleting an absent event succeeds (the call is idempotent). */
  async delete(tenantId: string, eventId: string): Promise<{ deleted: boolean }> {
    const found = await this.store.findEvent(tenantId, eventId, epochSeconds(this.clock()));
    if (!found) return { deleted: false };
    const key = found.event.metadata.idempotency_key;
    // Tombstone the reservation first, so a replay of the original request cannot resurrect the event.
    if (key !== undefined) await this.store.markIdempotentEventDeleted(tenantId, key, eventId);
    await this.store.deleteEvent(found.event);
    return { deleted: true };
  }

  /** Pending events of a tenant, oldest first. */
  async inbox(
    tenantId: string,
    query: { limit: number; afterSk?: string; source?: string; eventType?: string },
  ): Promise<InboxPage> {
    return this.store.listInbox({ tenantId, ...query, now: epochSeconds(this.clock()) });
  }

  /** A new pending event with a fresh id. */
  private newEvent(tenantId: string, input: NewEventInput, now = this.clock()): StoredEvent {
    return {
      tenantId,
      eventId: this.newId(),
      createdAt: now.toISOString(),
      source: input.source,
      eventType: input.eventType,
      payloadJson: input.payloadJson,
      metadata: input.metadata,
      status: 'pending',
      expiresAt: epochSeconds(now) + this.retentionSeconds,
    };
  }

  /** Writes events without idempotency keys in one batch and fills in their outcomes. */
  private async writeBatch(
    items: readonly { index: number; event: StoredEvent }[],
    outcomes: (BatchItemOutcome | undefined)[],
  ): Promise<void> {
    let unprocessed: StoredEvent[];
    try {
      unprocessed = await this.store.putEvents(items.map((item) => item.event));
    } catch (error) {
      if (!(error instanceof ServiceUnavailableError)) throw error;
      await Promise.all(
        items.map(async ({ index, event }) => {
          const outcome = await this.outcomeOfFailedWrite(event, error);
          outcomes[index] = outcome ? { error: outcome } : { event, replayed: false };
        }),
      );
      return;
    }
    const notWritten = new Set(unprocessed);
    for (const { index, event } of items) {
      outcomes[index] = notWritten.has(event) ? { error: throttledWrite(event) } : { event, replayed: false };
    }
  }

  /**
   * Writes a new event. Its key holds a fresh UUID, so an existing item with that key is this very
   * event: written by an SDK retry of our own call, or by a concurrent replay of the same request. With a
   * coalescer (only for events without an idempotency key: nobody else can know their id yet) it goes
   * out in a batch with the others written at that moment.
   */
  private async writeNew(event: StoredEvent, coalescer?: WriteCoalescer): Promise<void> {
    try {
      await (coalescer ? coalescer.write(event) : this.store.putEvent(event));
    } catch (error) {
      if (!(error instanceof ServiceUnavailableError)) throw error;
      // Left unprocessed: certainly not stored, no read needed.
      if ((error.details as { stored?: unknown } | null)?.stored === false) throw error;
      const outcome = await this.outcomeOfFailedWrite(event, error);
      if (outcome) throw outcome;
    }
  }

  /**
   * A write that failed may still have landed: the store applied it and the answer was lost, or the SDK
   * retried an attempt that had. One consistent read of the event's key makes the answer exact: found, the
   * event was created (no error); absent, it was not; the read failing too leaves it unknown. A write still
   * travelling inside the store could land after the read, so clients retry with an idempotency key.
   */
  private async outcomeOfFailedWrite(
    event: StoredEvent,
    failure: ServiceUnavailableError,
  ): Promise<ServiceUnavailableError | undefined> {
    const stored = await this.store.eventExists(event, OUTCOME_CHECK_TIMEOUT_MS).catch(() => undefined);
    if (stored === true) return undefined;
    const options = {
      retryAfterSeconds: failure.retryAfterSeconds,
      cause: failure,
      details: { event_id: event.eventId, stored: stored ?? null },
    };
    return stored === false
      ? new ServiceUnavailableError('The event store is unavailable; the event was not stored. Retry later', options)
      : new ServiceUnavailableError(
          'The event store is unavailable; the event may or may not have been stored. ' +
            `Retry with an idempotency key, or GET /v1/events/${event.eventId} later to find out`,
          options,
        );
  }
}

/** Fingerprint of what a request asks for, to detect an idempotency key reused for something else. */
export function idempotencyRequestHash(input: NewEventInput): string {
  const metadata = Object.entries(input.metadata).sort(([a], [b]) => a.localeCompare(b));
  return createHash('sha256')
    .update(JSON.stringify([input.source, input.eventType, input.payloadJson, metadata]))
    .digest('hex');
}
