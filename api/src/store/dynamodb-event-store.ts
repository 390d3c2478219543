import {
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { Logger } from 'pino';
import { EVENT_SK_PREFIX, eventSortKey, type StoredEvent } from '../../../contract/event';
import { idempotencySortKey, type IdempotencyRecord } from '../../../contract/idempotency';
import { ConflictError, NotFoundError } from '../errors';
import type { EventIdIndexStatus } from './event-id-index-control';
import { isConditionalCheckFailed, storeCall } from './dynamodb-errors';
import { fromEventItem, isEventItem, toEventItem, type EventItem } from './event-item';
import type { EventStore, FoundEvent, InboxPage, InboxQuery, LookupMethod } from './event-store';
import { EVENT_ID_INDEX, INBOX_INDEX } from '../../../contract/table-schemas';

/** Items a filtered inbox request may read before it returns a short page with a cursor. */
const MAX_INBOX_ITEMS_EVALUATED = 2000;
const FILTERED_INBOX_READ_SIZE = 200;
/** How far back a miss in a verified index is double-checked in the table (GSIs are eventually consistent). */
const RECENT_WINDOW_MS = 10_000;

/** BatchWriteItem's limit of items per request. */
export const MAX_BATCH_WRITE_ITEMS = 25;

export interface DynamoDbEventStoreOptions {
  doc: DynamoDBDocumentClient;
  tableName: string;
  eventIdIndex: EventIdIndexStatus;
  /** Attempts at items BatchWriteItem leaves unprocessed, the first included (default 5). */
  batchWriteAttempts?: number;
  /** Backoff ceiling before the first retry of unprocessed items, doubled per retry, with full jitter (default 50 ms). */
  batchWriteBackoffMs?: number;
  /** Uniform random in [0, 1) for the jitter (default `Math.random`). */
  random?: () => number;
  /** Called once per lookup with the way it went, for logs and metrics. */
  onLookup?: (method: LookupMethod) => void;
  logger?: Logger;
}

interface IdempotencyItem {
  tenant_id: string;
  sk: string;
  request_hash: string;
  reserved_event: EventItem;
  event_deleted: boolean;
  expires_at: number;
}

/** `EventStore` on a DynamoDB events table (DESIGN §4). */
export class DynamoDbEventStore implements EventStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly eventIdIndex: EventIdIndexStatus;
  private readonly onLookup: (method: LookupMethod) => void;
  private readonly logger: Logger | undefined;
  private readonly batchWriteAttempts: number;
  private readonly batchWriteBackoffMs: number;
  private readonly random: () => number;

  constructor(options: DynamoDbEventStoreOptions) {
    this.doc = options.doc;
    this.table = options.tableName;
    this.eventIdIndex = options.eventIdIndex;
    this.onLookup = options.onLookup ?? (() => undefined);
    this.logger = options.logger;
    this.batchWriteAttempts = options.batchWriteAttempts ?? 5;
    this.batchWriteBackoffMs = options.batchWriteBackoffMs ?? 50;
    this.random = options.random ?? Math.random;
  }

  async putEvent(event: StoredEvent): Promise<boolean> {
    try {
      await storeCall(() =>
        this.doc.send(
          new PutCommand({
            TableName: this.table,
            Item: toEventItem(event),
            ConditionExpression: 'attribute_not_exists(sk)',
          }),
        ),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /**
   * Writes up to 25 new events with BatchWriteItem. Items it leaves unprocessed (throttling, a partition at
   * its limit) are sent again with exponential backoff and full jitter; those still unprocessed after the
   * last attempt are returned, not written. A call that fails throws (`ServiceUnavailableError` when the
   * store is unreachable), and then any of the events may or may not have been written.
   */
  async putEvents(events: readonly StoredEvent[]): Promise<StoredEvent[]> {
    if (events.length > MAX_BATCH_WRITE_ITEMS) {
      throw new RangeError(`BatchWriteItem takes at most ${MAX_BATCH_WRITE_ITEMS} items, got ${events.length}`);
    }
    const byKey = new Map(events.map((event) => [eventSortKey(event.createdAt, event.eventId), event]));
    let pending = events.map((event) => ({ PutRequest: { Item: toEventItem(event) } }));
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > 1) {
        const ceiling = this.batchWriteBackoffMs * 2 ** (attempt - 2);
        await new Promise((resolve) => setTimeout(resolve, this.random() * ceiling));
      }
      const { UnprocessedItems } = await storeCall(() =>
        this.doc.send(new BatchWriteCommand({ RequestItems: { [this.table]: pending } })),
      );
      pending = (UnprocessedItems?.[this.table] ?? []) as typeof pending;
      if (attempt >= this.batchWriteAttempts) break;
    }
    return pending.map(({ PutRequest }) => byKey.get(PutRequest.Item.sk)).filter((e) => e !== undefined);
  }

  async eventExists(event: StoredEvent, timeoutMs: number): Promise<boolean> {
    const result = await storeCall(() =>
      this.doc.send(
        new GetCommand({
          TableName: this.table,
          Key: { tenant_id: event.tenantId, sk: eventSortKey(event.createdAt, event.eventId) },
          ProjectionExpression: 'sk',
          ConsistentRead: true,
        }),
        { abortSignal: AbortSignal.timeout(timeoutMs) },
      ),
    );
    return result.Item !== undefined;
  }

  async findEvent(tenantId: string, eventId: string, now: number): Promise<FoundEvent | undefined> {
    const found = await this.lookup(tenantId, eventId);
    if (!found || found.event.expiresAt <= now) return undefined;
    return found;
  }

  private async lookup(tenantId: string, eventId: string): Promise<FoundEvent | undefined> {
    const state = await this.eventIdIndex.current();
    if (state !== 'absent') {
      const viaIndex = await this.queryEventIdIndex(tenantId, eventId);
      if (viaIndex !== 'index-unavailable') {
        if (viaIndex) {
          this.onLookup('gsi');
          return { event: viaIndex, method: 'gsi' };
        }
        if (state === 'verified') {
          // The index lags the table by a moment: an event created just now may not be in it yet.
          this.onLookup('gsi');
          const recent = await this.findRecentInPartition(tenantId, eventId);
          return recent && { event: recent, method: 'gsi' };
        }
      } else {
        this.eventIdIndex.invalidate();
      }
    }
    this.onLookup('scan');
    this.logger?.info({ event_id_index: state }, 'Event lookup scans the tenant partition');
    const viaScan = await this.scanTenantPartition(tenantId, eventId);
    return viaScan && { event: viaScan, method: 'scan' };
  }

  private async queryEventIdIndex(
    tenantId: string,
    eventId: string,
  ): Promise<StoredEvent | undefined | 'index-unavailable'> {
    try {
      const result = await storeCall(() =>
        this.doc.send(
          new QueryCommand({
            TableName: this.table,
            IndexName: EVENT_ID_INDEX,
            KeyConditionExpression: 'event_id = :id',
            ExpressionAttributeValues: { ':id': eventId },
          }),
        ),
      );
      const item = (result.Items as EventItem[] | undefined)?.find((i) => i.tenant_id === tenantId && isEventItem(i));
      return item && fromEventItem(item);
    } catch (error) {
      // The index is missing or still backfilling: DynamoDB rejects the query.
      if ((error as { name?: string }).name === 'ValidationException') return 'index-unavailable';
      throw error;
    }
  }

  /** Consistent read of the tenant's events of the last `RECENT_WINDOW_MS` (cheap: the sort key starts with the time). */
  private async findRecentInPartition(tenantId: string, eventId: string): Promise<StoredEvent | undefined> {
    const since = new Date(Date.now() - RECENT_WINDOW_MS).toISOString();
    return this.findInPartition(tenantId, eventId, `${EVENT_SK_PREFIX}${since}`);
  }

  /**
   * Pages through the tenant's own partition (keys only; DynamoDB cannot filter a query on its sort key),
   * then reads the match. Consistent, tenant-scoped, and works on legacy items whose id lives only in `sk`.
   */
  private async scanTenantPartition(tenantId: string, eventId: string): Promise<StoredEvent | undefined> {
    return this.findInPartition(tenantId, eventId);
  }

  private async findInPartition(tenantId: string, eventId: string, fromSk?: string): Promise<StoredEvent | undefined> {
    const suffix = `#${eventId}`;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await storeCall(() =>
        this.doc.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: fromSk
              ? 'tenant_id = :t AND sk BETWEEN :from AND :to'
              : 'tenant_id = :t AND begins_with(sk, :prefix)',
            ProjectionExpression: 'sk',
            ExpressionAttributeValues: fromSk
              ? { ':t': tenantId, ':from': fromSk, ':to': `${EVENT_SK_PREFIX}\uffff` }
              : { ':t': tenantId, ':prefix': EVENT_SK_PREFIX },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      const match = (page.Items as { sk: string }[] | undefined)?.find((i) => i.sk.endsWith(suffix));
      if (match) {
        const item = await storeCall(() =>
          this.doc.send(
            new GetCommand({ TableName: this.table, Key: { tenant_id: tenantId, sk: match.sk }, ConsistentRead: true }),
          ),
        );
        return item.Item ? fromEventItem(item.Item as EventItem) : undefined;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return undefined;
  }

  async acknowledgeEvent(event: StoredEvent, acknowledgedAt: string): Promise<StoredEvent> {
    const key = { tenant_id: event.tenantId, sk: eventSortKey(event.createdAt, event.eventId) };
    try {
      const result = await storeCall(() =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.table,
            Key: key,
            UpdateExpression: 'SET #status = :acknowledged, acknowledged_at = :at REMOVE inbox_pk',
            ConditionExpression: 'attribute_exists(sk) AND #status = :pending',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':acknowledged': 'acknowledged',
              ':pending': 'pending',
              ':at': acknowledgedAt,
            },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      return fromEventItem(result.Attributes as EventItem);
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const current = await storeCall(() =>
        this.doc.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true })),
      );
      if (!current.Item) throw new NotFoundError(`Event ${event.eventId} not found`);
      throw new ConflictError(`Event ${event.eventId} is already acknowledged`, {
        acknowledged_at: (current.Item as EventItem).acknowledged_at ?? null,
      });
    }
  }

  async deleteEvent(event: StoredEvent): Promise<void> {
    await storeCall(() =>
      this.doc.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { tenant_id: event.tenantId, sk: eventSortKey(event.createdAt, event.eventId) },
        }),
      ),
    );
  }

  async listInbox(query: InboxQuery): Promise<InboxPage> {
    const filters = ['expires_at > :now'];
    const values: Record<string, unknown> = {
      ':t': query.tenantId,
      ':after': query.afterSk ?? EVENT_SK_PREFIX,
      ':now': query.now,
    };
    if (query.source !== undefined) {
      filters.push('#source = :source');
      values[':source'] = query.source;
    }
    if (query.eventType !== undefined) {
      filters.push('event_type = :eventType');
      values[':eventType'] = query.eventType;
    }
    const filtered = query.source !== undefined || query.eventType !== undefined;
    const base: QueryCommandInput = {
      TableName: this.table,
      IndexName: INBOX_INDEX,
      KeyConditionExpression: 'inbox_pk = :t AND sk > :after',
      FilterExpression: filters.join(' AND '),
      ExpressionAttributeValues: values,
      ...(query.source !== undefined ? { ExpressionAttributeNames: { '#source': 'source' } } : {}),
      ScanIndexForward: true,
    };

    const events: StoredEvent[] = [];
    let evaluated = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const remaining = query.limit - events.length;
      const page = await storeCall(() =>
        this.doc.send(
          new QueryCommand({
            ...base,
            Limit: filtered ? Math.max(remaining, FILTERED_INBOX_READ_SIZE) : remaining,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of (page.Items ?? []) as EventItem[]) events.push(fromEventItem(item));
      evaluated += page.ScannedCount ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey && events.length < query.limit && evaluated < MAX_INBOX_ITEMS_EVALUATED);

    if (events.length > query.limit) {
      const page = events.slice(0, query.limit);
      return { events: page, nextAfterSk: lastSk(page) };
    }
    if (!startKey) return { events };
    // Stopped at the page size or the read budget: continue after the last item read.
    return { events, nextAfterSk: events.length === query.limit ? lastSk(events) : (startKey.sk as string) };
  }

  async reserveIdempotencyKey(record: IdempotencyRecord, now: number): Promise<boolean> {
    const item: IdempotencyItem = {
      tenant_id: record.tenantId,
      sk: idempotencySortKey(record.key),
      request_hash: record.requestHash,
      reserved_event: toEventItem(record.event),
      event_deleted: record.eventDeleted,
      expires_at: record.expiresAt,
    };
    try {
      await storeCall(() =>
        this.doc.send(
          new PutCommand({
            TableName: this.table,
            Item: item,
            // An expired record may linger until TTL removes it: it no longer reserves the key.
            ConditionExpression: 'attribute_not_exists(sk) OR expires_at <= :now',
            ExpressionAttributeValues: { ':now': now },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async getIdempotencyRecord(tenantId: string, key: string): Promise<IdempotencyRecord | undefined> {
    const result = await storeCall(() =>
      this.doc.send(
        new GetCommand({
          TableName: this.table,
          Key: { tenant_id: tenantId, sk: idempotencySortKey(key) },
          ConsistentRead: true,
        }),
      ),
    );
    const item = result.Item as IdempotencyItem | undefined;
    if (!item) return undefined;
    return {
      tenantId: item.tenant_id,
      key,
      requestHash: item.request_hash,
      event: fromEventItem(item.reserved_event),
      eventDeleted: item.event_deleted,
      expiresAt: item.expires_at,
    };
  }

  async markIdempotentEventDeleted(tenantId: string, key: string, eventId: string): Promise<void> {
    try {
      await storeCall(() =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { tenant_id: tenantId, sk: idempotencySortKey(key) },
            UpdateExpression: 'SET event_deleted = :true',
            ConditionExpression: 'attribute_exists(sk) AND reserved_event.event_id = :id',
            ExpressionAttributeValues: { ':true': true, ':id': eventId },
          }),
        ),
      );
    } catch (error) {
      // The record expired or now reserves another event: nothing to protect.
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }
}

function lastSk(events: StoredEvent[]): string | undefined {
  const last = events.at(-1);
  return last && eventSortKey(last.createdAt, last.eventId);
}
