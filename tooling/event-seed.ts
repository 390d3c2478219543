import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { epochSeconds, type StoredEvent } from '../contract/event';
import { toEventItem } from '../api/src/store/event-item';
import { writeItems } from '../api/src/store/legacy-seed';

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
  await writeItems(doc, tableName, events.map(toEventItem));
}
