import { randomUUID } from 'node:crypto';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { epochSeconds, eventSortKey } from '../../../contract/event';
import type { EventItem } from './event-item';

const BATCH_SIZE = 25;
const PARALLEL_BATCHES = 8;

export interface LegacySeedOptions {
  tableName: string;
  count: number;
  tenants: string[];
  /** Creation time of the first item; items are one second apart. */
  start?: Date;
  retentionSeconds?: number;
}

/** A pre-migration event item: no `event_id` attribute, the id lives only in `sk` (DESIGN §4). */
export function legacyEventItem(tenantId: string, createdAt: Date, index: number, retentionSeconds: number): EventItem {
  const pending = index % 4 !== 0;
  const created = createdAt.toISOString();
  return {
    tenant_id: tenantId,
    sk: eventSortKey(created, randomUUID()),
    created_at: created,
    source: `legacy-source-${index % 5}`,
    event_type: `legacy.type.${index % 3}`,
    payload: JSON.stringify({ sequence: index, note: 'written before event-id-index existed' }),
    metadata: { priority: 'normal' },
    status: pending ? 'pending' : 'acknowledged',
    ...(pending ? { inbox_pk: tenantId } : { acknowledged_at: created }),
    expires_at: epochSeconds(createdAt) + retentionSeconds,
  };
}

/** Writes `count` legacy-shaped events round-robin over `tenants`; resolves the items written. */
export async function seedLegacyEvents(doc: DynamoDBDocumentClient, options: LegacySeedOptions): Promise<EventItem[]> {
  const start = options.start ?? new Date(Date.now() - options.count * 1000);
  const retention = options.retentionSeconds ?? 7 * 86400;
  const items = Array.from({ length: options.count }, (_, i) =>
    legacyEventItem(
      options.tenants[i % options.tenants.length] ?? 'legacy',
      new Date(start.getTime() + i * 1000),
      i,
      retention,
    ),
  );
  await writeItems(doc, options.tableName, items);
  return items;
}

/** Writes items in BatchWriteItem calls of 25, 8 at a time, sending unprocessed items again with backoff. */
export async function writeItems(
  doc: DynamoDBDocumentClient,
  tableName: string,
  items: readonly object[],
): Promise<void> {
  const batches: object[][] = [];
  for (let i = 0; i < items.length; i += BATCH_SIZE) batches.push(items.slice(i, i + BATCH_SIZE));
  for (let i = 0; i < batches.length; i += PARALLEL_BATCHES) {
    await Promise.all(batches.slice(i, i + PARALLEL_BATCHES).map((batch) => writeBatch(doc, tableName, batch)));
  }
}

async function writeBatch(doc: DynamoDBDocumentClient, tableName: string, batch: readonly object[]): Promise<void> {
  let pending: Record<string, unknown>[] = batch.map((item) => ({ PutRequest: { Item: item } }));
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > 10) throw new Error(`Could not write ${pending.length} seed items to ${tableName}`);
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
    const result = await doc.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
    pending = result.UnprocessedItems?.[tableName] ?? [];
  }
}
