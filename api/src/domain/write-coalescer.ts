import { ServiceUnavailableError } from '../errors';
import type { EventStore } from '../store/event-store';
import type { StoredEvent } from '../../../contract/event';

/**
 * Events per BatchWriteItem (the call takes up to 25). Eight saves most of the per-call work (one call
 * per eight events) without every event waiting while the engine works through 25 items: at a fixed
 * 1,000 events/s, batches of 25 gave p95 301-391 ms and batches of 8 gave 129-136 ms (docs/PERFORMANCE.md).
 */
export const MAX_COALESCED_BATCH = 8;

/**
 * Writes new events that arrive together in one BatchWriteItem instead of one PutItem each: a long-running
 * server serving many clients pays the SDK's per-call work (serialization, signing, retries, a socket
 * write) and the engine's per-request parsing once per batch. Nothing waits for a batch to fill: the events
 * queued by the time the event loop turns (`setImmediate`) go at once, so a lone request is written as
 * soon as it would be alone; while `maxInFlight` batches are out, further events queue and go together
 * as the first of those return. Each caller learns its own event's outcome.
 *
 * Only for events with fresh ids (no idempotency key): a BatchWriteItem put has no condition, so it must
 * never meet an item that exists already.
 */
export class WriteCoalescer {
  private queue: { event: StoredEvent; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly store: Pick<EventStore, 'putEvents'>,
    private readonly maxInFlight = 8,
  ) {}

  /**
   * Resolves once the event is stored. Rejects with a `ServiceUnavailableError` (`stored: false`) when
   * the store left it unprocessed after its retries, or with the batch call's own error, after which the
   * event may or may not be stored (as after a failed PutItem).
   */
  write(event: StoredEvent): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ event, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.queue.length > 0 && this.inFlight < this.maxInFlight) {
      const batch = this.queue.splice(0, MAX_COALESCED_BATCH);
      this.inFlight++;
      void this.send(batch).finally(() => {
        this.inFlight--;
        this.schedule();
      });
    }
  }

  private async send(batch: WriteCoalescer['queue']): Promise<void> {
    let unprocessed: StoredEvent[];
    try {
      unprocessed = await this.store.putEvents(batch.map((entry) => entry.event));
    } catch (error) {
      for (const entry of batch) entry.reject(error);
      return;
    }
    const notWritten = new Set(unprocessed);
    for (const { event, resolve, reject } of batch) {
      if (notWritten.has(event)) reject(throttledWrite(event));
      else resolve();
    }
  }
}

/** The error of an event the store left unprocessed after its retries: certainly not stored. */
export function throttledWrite(event: StoredEvent): ServiceUnavailableError {
  return new ServiceUnavailableError('The event store is throttling writes; the event was not stored. Retry later', {
    retryAfterSeconds: 1,
    details: { event_id: event.eventId, stored: false },
  });
}
