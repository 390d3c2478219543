import { ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EVENT_SK_PREFIX } from '../../../contract/event';
import { EventAttr, type DerivedIndex } from '../../../contract/table-schemas';
import { TableNotFoundError } from '../errors';
import { attributesToRead, checkDerived, requireDerivedIndex, type Item } from './derived-item';
import { isResourceNotFound, sdkErrorName, withContext } from './sdk-errors';
import { requireInteger, requireName } from './validate-input';
import { realSleep, WritePacer, type Clock, type Sleep } from './write-pacer';

/** Primary key of an events-table item; also the continuation key of a segment. */
export interface EventTableKey {
  tenant_id: string;
  sk: string;
}

export interface BackfillSegmentInput {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** The derived index whose attributes to write (DERIVED_INDEXES; default `event-id-index`). */
  indexName?: string;
  /** 0-based segment of the parallel scan. */
  segment: number;
  totalSegments: number;
  /** `lastEvaluatedKey` of the previous invocation for this segment; absent on the first. */
  exclusiveStartKey?: EventTableKey;
  /** Stop starting new writes once this much time has passed (leave headroom under the Lambda timeout). */
  timeBudgetMs: number;
  maxWritesPerSecond: number;
  /** Items read per Scan page (default 100). */
  pageSize?: number;
  /**
   * Writes in flight at once (default 1). A segment holds whole tenants, so one large tenant makes one
   * long segment: several writes at a time keep it from being bound by one round trip per item.
   */
  writeConcurrency?: number;
  now?: Clock;
  sleep?: Sleep;
}

export interface BackfillSegmentResult {
  segment: number;
  /** Event items this invocation examined (those already carrying their derived attributes included). */
  scanned: number;
  /** Items given their derived attributes. */
  updated: number;
  /**
   * Items whose source attributes changed, or that were deleted, between the scan and the write (the
   * condition failed): an event acknowledged meanwhile is not put back in a `while-pending` index.
   */
  skipped: number;
  /**
   * Event items that ought to be in the index but whose derived attributes cannot be computed (a sort
   * key without an event id, a pending event without its source); verification reports them.
   */
  underivable: number;
  /** Pass back as `exclusiveStartKey` to resume; absent when the segment is done. */
  lastEvaluatedKey?: EventTableKey;
  done: boolean;
}

const DEFAULT_PAGE_SIZE = 100;

/**
 * Writes an index's derived attributes (`derive`, e.g. `event_id` parsed from `sk`) on the event items of
 * one parallel-scan segment that lack them or hold other values, within a time budget and a write rate.
 * Idempotent: an item already carrying the right values is not written.
 */
export async function backfillSegment(input: BackfillSegmentInput): Promise<BackfillSegmentResult> {
  const tableName = requireName('tableName', input.tableName);
  const { index } = requireDerivedIndex(input.indexName);
  const totalSegments = requireInteger('totalSegments', input.totalSegments, 1, 1_000_000);
  const segment = requireInteger('segment', input.segment, 0, totalSegments - 1);
  const timeBudgetMs = requireInteger('timeBudgetMs', input.timeBudgetMs, 1, 15 * 60_000);
  const maxWritesPerSecond = requireInteger('maxWritesPerSecond', input.maxWritesPerSecond, 1, 100_000);
  const pageSize = requireInteger('pageSize', input.pageSize ?? DEFAULT_PAGE_SIZE, 1, 1000);
  const concurrency = requireInteger('writeConcurrency', input.writeConcurrency ?? 1, 1, 64);
  const now = input.now ?? Date.now;
  // The limit is the whole migration's: the segments run side by side, each takes its share.
  const pacer = new WritePacer(Math.max(1, maxWritesPerSecond / totalSegments), now, input.sleep ?? realSleep);
  const startedAt = now();
  const outOfTime = (): boolean => now() + pacer.delayMs() - startedAt >= timeBudgetMs;

  const result: BackfillSegmentResult = { segment, scanned: 0, updated: 0, skipped: 0, underivable: 0, done: false };
  // Everything up to and including this key is done: the point a later invocation resumes from.
  let resumeKey = input.exclusiveStartKey;
  const stop = (): BackfillSegmentResult => ({ ...result, ...(resumeKey && { lastEvaluatedKey: resumeKey }) });

  for (;;) {
    const page = await scanEventPage(input.doc, tableName, index, { segment, totalSegments, pageSize }, resumeKey);
    for (let i = 0; i < page.items.length; i += concurrency) {
      // The first writes always happen, so every invocation makes progress however small the budget.
      if (result.scanned > 0 && outOfTime()) return stop();
      const batch = page.items.slice(i, i + concurrency);
      const outcomes = await Promise.all(
        batch.map(async (item) => {
          const check = checkDerived(index, item);
          if (!check.belongs) return check.underivable ? ('underivable' as const) : undefined;
          if (check.holds === 'right') return undefined;
          await pacer.acquire();
          return writeDerived(input.doc, tableName, index, item, check.derived);
        }),
      );
      for (const outcome of outcomes) if (outcome) result[outcome]++;
      result.scanned += batch.length;
      const last = batch.at(-1);
      if (last) resumeKey = { tenant_id: last.tenant_id, sk: last.sk };
    }
    resumeKey = page.lastEvaluatedKey;
    if (resumeKey === undefined) return { ...result, done: true };
    if (outOfTime()) return stop();
  }
}

interface EventPage {
  items: (Item & EventTableKey)[];
  lastEvaluatedKey?: EventTableKey;
}

async function scanEventPage(
  doc: DynamoDBDocumentClient,
  tableName: string,
  index: DerivedIndex,
  scan: { segment: number; totalSegments: number; pageSize: number },
  exclusiveStartKey: EventTableKey | undefined,
): Promise<EventPage> {
  const names = attributesToRead(index);
  try {
    const page = await doc.send(
      new ScanCommand({
        TableName: tableName,
        Segment: scan.segment,
        TotalSegments: scan.totalSegments,
        Limit: scan.pageSize,
        ExclusiveStartKey: exclusiveStartKey,
        // Only what derive reads and what it writes: every event item is read, as whether its derived
        // attributes are right can only be told from its other attributes.
        ProjectionExpression: names.map((_, i) => `#a${i}`).join(', '),
        // Idempotency and control items never start with EVENT#, so they are never touched.
        FilterExpression: 'begins_with(#sk, :prefix)',
        ExpressionAttributeNames: {
          '#sk': EventAttr.sk,
          ...Object.fromEntries(names.map((name, i) => [`#a${i}`, name])),
        },
        ExpressionAttributeValues: { ':prefix': EVENT_SK_PREFIX },
      }),
    );
    return {
      items: (page.Items ?? []) as (Item & EventTableKey)[],
      lastEvaluatedKey: page.LastEvaluatedKey as EventTableKey | undefined,
    };
  } catch (error) {
    if (isResourceNotFound(error)) throw new TableNotFoundError(`Table ${tableName} does not exist`, { cause: error });
    throw withContext(error, `Backfill of segment ${scan.segment} could not scan ${tableName}`);
  }
}

/**
 * Writes the derived attributes on the condition that the item still exists and every attribute they
 * derive from still holds the value read (or is still absent): an event deleted or acknowledged since
 * the scan is skipped, never recreated as a bare stub nor put back in an inbox index.
 */
async function writeDerived(
  doc: DynamoDBDocumentClient,
  tableName: string,
  index: DerivedIndex,
  item: Item & EventTableKey,
  derived: Readonly<Record<string, string>>,
): Promise<'updated' | 'skipped'> {
  const names: Record<string, string> = { '#sk': EventAttr.sk };
  const values: Record<string, unknown> = { ':sk': item.sk };
  const sets = Object.entries(derived).map(([name, value], i) => {
    names[`#d${i}`] = name;
    values[`:d${i}`] = value;
    return `#d${i} = :d${i}`;
  });
  const conditions = ['attribute_exists(#sk)', '#sk = :sk'];
  index.sourceAttributes.forEach((name, i) => {
    names[`#s${i}`] = name;
    if (item[name] === undefined) {
      conditions.push(`attribute_not_exists(#s${i})`);
    } else {
      values[`:s${i}`] = item[name];
      conditions.push(`#s${i} = :s${i}`);
    }
  });
  try {
    await doc.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { tenant_id: item.tenant_id, sk: item.sk },
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: conditions.join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
    return 'updated';
  } catch (error) {
    if (sdkErrorName(error) === 'ConditionalCheckFailedException') return 'skipped';
    throw withContext(
      error,
      `Backfill could not set ${Object.keys(derived).join(', ')} on ${item.tenant_id} / ${item.sk} in ${tableName}`,
    );
  }
}
