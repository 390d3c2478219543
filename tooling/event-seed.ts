import { randomUUID } from 'node:crypto';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { epochSeconds, type StoredEvent } from '../contract/event';
import { toEventItem } from '../api/src/store/event-item';

const BATCH_SIZE = 25;
const PARALLEL_BATCHES = 8;

/** A pending event as this version writes it, `offsetMs` after `start` (a fresh id). */
export function pendingEvent(
  tenantId: string,
  start: Date,
  offsetMs: number,
  fields: { source: string; eventType: string; expiresAt?: number },
): StoredEvent {
  const created = new Date(start.getTime() + offsetMs);
  return {
    tenantId,
    eventId: randomUUID(),
    createdAt: created.toISOString(),
    source: fields.source,
    eventType: fields.eventType,
    payloadJson: JSON.stringify({ offset: offsetMs }),
    metadata: {},
    status: 'pending',
    expiresAt: fields.expiresAt ?? epochSeconds(created) + 7 * 86400,
  };
}

/** Writes events as the API would store them (every derived attribute included), in parallel batches. */
export async function seedEvents(
  doc: DynamoDBDocumentClient,
  tableName: string,
  events: readonly StoredEvent[],
): Promise<void> {
  const batches: StoredEvent[][] = [];
  for (let i = 0; i < events.length; i += BATCH_SIZE) batches.push(events.slice(i, i + BATCH_SIZE));
  for (let i = 0; i < batches.length; i += PARALLEL_BATCHES) {
    await Promise.all(
      batches.slice(i, i + PARALLEL_BATCHES).map(async (batch) => {
        let pending: Record<string, unknown>[] = batch.map((event) => ({ PutRequest: { Item: toEventItem(event) } }));
        for (let attempt = 0; pending.length > 0; attempt++) {
          if (attempt > 10) throw new Error(`Could not write ${pending.length} events to ${tableName}`);
          if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
          const result = await doc.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
          pending = result.UnprocessedItems?.[tableName] ?? [];
        }
      }),
    );
  }
}
