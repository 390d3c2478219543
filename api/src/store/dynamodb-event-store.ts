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
import type { IndexStates } from './index-control';
import { isConditionalCheckFailed, storeCall } from './dynamodb-errors';
import { fromEventItem, isEventItem, toEventItem, type EventItem } from './event-item';
import type { EventStore, FoundEvent, InboxPage, InboxQuery, LookupMethod } from './event-store';
import {
  EVENT_ID_INDEX,
  EventAttr,
  INBOX_INDEX,
  INBOX_SOURCE_INDEX,
  INBOX_SOURCE_TYPE_INDEX,
  INBOX_TYPE_INDEX,
  inboxFilterKey,
  PENDING_ONLY_ATTRIBUTES,
} from '../../../contract/table-schemas';
import type { IndexState } from '../../../contract/control-record';

/**
 * Items an inbox request reads at most, as a multiple of its limit: the index it reads holds only the
 * events it asks for, so only expired events not yet removed by TTL are read and skipped.
 */
export const INBOX_READ_BUDGET_PER_LIMIT = 2;
/**
 * Without its filter index (not yet verified), a filtered request filters `inbox-index`: it reads this many
 * items at most before it returns a short page with a cursor, in reads of FILTERED_INBOX_READ_SIZE.
 */
const MAX_INBOX_ITEMS_EVALUATED = 2000;
const FILTERED_INBOX_READ_SIZE = 200;
/** How far back a miss in a verified index is double-checked in the table (GSIs are eventually consistent). */
const RECENT_WINDOW_MS = 10_000;

/** BatchWriteItem's limit of items per request. */
export const MAX_BATCH_WRITE_ITEMS = 25;

export interface DynamoDbEventStoreOptions {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** States of the derived indexes (DERIVED_INDEXES); an index they do not cover is treated as absent. */
  indexes: IndexStates;
  /** Attempts at items BatchWriteItem leaves unprocessed, the first included (default 5). */
  batchWriteAttempts?: number;
  /** Backoff ceiling before the first retry of unprocessed items, doubled per retry, with full jitter (default 50 ms). */
  batchWriteBackoffMs?: number;
  /** Uniform random in [0, 1) for the jitter (default `Math.random`). */
  random?: () => number;
  /** Called once per lookup with the way it went, for logs and metrics. */
  onLookup?: (method: LookupMethod) => void;
  /** Called once per inbox request with the index it read and how many items it read, for logs. */
  onInboxRead?: (read: InboxReadReport) => void;
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
  private readonly indexes: IndexStates;
  private readonly onLookup: (method: LookupMethod) => void;
  private readonly onInboxRead: (read: InboxReadReport) => void;
  private readonly logger: Logger | undefined;
  private readonly batchWriteAttempts: number;
  private readonly batchWriteBackoffMs: number;
  private readonly random: () => number;

  constructor(options: DynamoDbEventStoreOptions) {
    this.doc = options.doc;
    this.table = options.tableName;
    this.indexes = options.indexes;
    this.onLookup = options.onLookup ?? (() => undefined);
    this.onInboxRead = options.onInboxRead ?? (() => undefined);
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
    const state = await this.indexState(EVENT_ID_INDEX);
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
        this.indexes.invalidate();
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

  private async indexState(name: string): Promise<IndexState> {
    return this.indexes.current(name);
  }

  async acknowledgeEvent(event: StoredEvent, acknowledgedAt: string): Promise<StoredEvent> {
    const key = { tenant_id: event.tenantId, sk: eventSortKey(event.createdAt, event.eventId) };
    try {
      const result = await storeCall(() =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.table,
            Key: key,
            // Out of `inbox-index` and the filter indexes.
            UpdateExpression: `SET #status = :acknowledged, acknowledged_at = :at REMOVE ${PENDING_ONLY_ATTRIBUTES.join(', ')}`,
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

  /**
   * Pending events of a tenant, oldest first. A filter (source, event type or both) reads the sparse index
   * keyed by the tenant and those values, which holds exactly the events asked for; so does `inbox-index`
   * without a filter. Either way a request reads at most INBOX_READ_BUDGET_PER_LIMIT x limit items (the
   * surplus being expired events TTL has not removed yet). Until a filter's index is verified (a table the
   * migration has not upgraded yet) the filter runs over `inbox-index`, reading up to MAX_INBOX_ITEMS_EVALUATED.
   */
  async listInbox(query: InboxQuery): Promise<InboxPage> {
    const filter = inboxFilter(query);
    if (filter && (await this.indexState(filter.indexName)) === 'verified') {
      try {
        return await this.readInbox(query, {
          indexName: filter.indexName,
          keyName: filter.keyName,
          keyValue: filter.keyValue,
        });
      } catch (error) {
        // Verified, yet gone (deleted by hand): read the state again and filter `inbox-index` meanwhile.
        if ((error as { name?: string }).name !== 'ValidationException') throw error;
        this.indexes.invalidate();
      }
    }
    return this.readInbox(query, {
      indexName: INBOX_INDEX,
      keyName: EventAttr.inboxPk,
      keyValue: query.tenantId,
      ...(filter ? { filterBy: query } : {}),
    });
  }

  private async readInbox(query: InboxQuery, read: InboxRead): Promise<InboxPage> {
    const filters = ['expires_at > :now'];
    const names: Record<string, string> = { '#pk': read.keyName };
    const values: Record<string, unknown> = {
      ':pk': read.keyValue,
      ':after': query.afterSk ?? EVENT_SK_PREFIX,
      ':now': query.now,
    };
    if (read.filterBy?.source !== undefined) {
      filters.push('#source = :source');
      names['#source'] = EventAttr.source;
      values[':source'] = read.filterBy.source;
    }
    if (read.filterBy?.eventType !== undefined) {
      filters.push('#eventType = :eventType');
      names['#eventType'] = EventAttr.eventType;
      values[':eventType'] = read.filterBy.eventType;
    }
    const base: QueryCommandInput = {
      TableName: this.table,
      IndexName: read.indexName,
      KeyConditionExpression: '#pk = :pk AND sk > :after',
      FilterExpression: filters.join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ScanIndexForward: true,
    };
    const budget = read.filterBy ? MAX_INBOX_ITEMS_EVALUATED : INBOX_READ_BUDGET_PER_LIMIT * query.limit;

    const events: StoredEvent[] = [];
    let evaluated = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const remaining = query.limit - events.length;
      const size = read.filterBy ? Math.max(remaining, FILTERED_INBOX_READ_SIZE) : remaining;
      const page = await storeCall(() =>
        this.doc.send(
          new QueryCommand({ ...base, Limit: Math.min(size, budget - evaluated), ExclusiveStartKey: startKey }),
        ),
      );
      for (const item of (page.Items ?? []) as EventItem[]) events.push(fromEventItem(item));
      evaluated += page.ScannedCount ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey && events.length < query.limit && evaluated < budget);
    const filter = filterLabel(query);
    this.onInboxRead({ index: read.indexName, itemsRead: evaluated, ...(filter ? { filter } : {}) });

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

/** What one inbox request read: the index, the items, and the filter it was asked (`source`, `event_type` or both). */
export interface InboxReadReport {
  index: string;
  itemsRead: number;
  filter?: string;
}

/** How one inbox request reads: which index, which partition of it, and what it still filters. */
interface InboxRead {
  indexName: string;
  keyName: string;
  keyValue: string;
  /** Filters applied by a FilterExpression (only when the filter's own index cannot be used). */
  filterBy?: Pick<InboxQuery, 'source' | 'eventType'>;
}

/** The filter index that answers a query, with its partition; undefined without a filter. */
function inboxFilter(query: InboxQuery): { indexName: string; keyName: string; keyValue: string } | undefined {
  const { tenantId, source, eventType } = query;
  if (source !== undefined && eventType !== undefined) {
    const keyValue = inboxFilterKey(tenantId, source, eventType);
    return { indexName: INBOX_SOURCE_TYPE_INDEX, keyName: EventAttr.inboxSourceTypePk, keyValue };
  }
  if (source !== undefined) {
    return {
      indexName: INBOX_SOURCE_INDEX,
      keyName: EventAttr.inboxSourcePk,
      keyValue: inboxFilterKey(tenantId, source),
    };
  }
  if (eventType !== undefined) {
    return {
      indexName: INBOX_TYPE_INDEX,
      keyName: EventAttr.inboxTypePk,
      keyValue: inboxFilterKey(tenantId, eventType),
    };
  }
  return undefined;
}

/** The filters a query names, as logged: `source`, `event_type` or `source,event_type`; undefined without one. */
function filterLabel(query: InboxQuery): string | undefined {
  const names = [query.source !== undefined ? 'source' : '', query.eventType !== undefined ? 'event_type' : ''];
  return names.filter(Boolean).join(',') || undefined;
}

function lastSk(events: StoredEvent[]): string | undefined {
  const last = events.at(-1);
  return last && eventSortKey(last.createdAt, last.eventId);
}
