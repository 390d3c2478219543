import { ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EVENT_SK_PREFIX, parseEventSortKey } from '../../../contract/event';
import { EventAttr } from '../../../contract/table-schemas';
import { TableNotFoundError } from '../errors';
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
  /** Legacy event items (without `event_id`) this invocation examined. */
  scanned: number;
  updated: number;
  /** Items that changed or were deleted between the scan and the write (the condition failed). */
  skipped: number;
  /** `EVENT#` items whose sort key holds no event id; verification will report them as missing. */
  unparseable: number;
  /** Pass back as `exclusiveStartKey` to resume; absent when the segment is done. */
  lastEvaluatedKey?: EventTableKey;
  done: boolean;
}

const DEFAULT_PAGE_SIZE = 100;

/**
 * Sets `event_id` (parsed from `sk`) on the legacy event items of one parallel-scan segment, within a
 * time budget and a write rate. Idempotent: only items still lacking `event_id` are written.
 */
export async function backfillSegment(input: BackfillSegmentInput): Promise<BackfillSegmentResult> {
  const tableName = requireName('tableName', input.tableName);
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

  const result: BackfillSegmentResult = { segment, scanned: 0, updated: 0, skipped: 0, unparseable: 0, done: false };
  // Everything up to and including this key is done: the point a later invocation resumes from.
  let resumeKey = input.exclusiveStartKey;
  const stop = (): BackfillSegmentResult => ({ ...result, ...(resumeKey && { lastEvaluatedKey: resumeKey }) });

  for (;;) {
    const page = await scanLegacyPage(input.doc, tableName, segment, totalSegments, pageSize, resumeKey);
    for (let i = 0; i < page.items.length; i += concurrency) {
      // The first writes always happen, so every invocation makes progress however small the budget.
      if (result.scanned > 0 && outOfTime()) return stop();
      const batch = page.items.slice(i, i + concurrency);
      const outcomes = await Promise.all(
        batch.map(async (item) => {
          const eventId = parseEventSortKey(item.sk)?.eventId;
          if (eventId === undefined) return 'unparseable' as const;
          await pacer.acquire();
          return setEventId(input.doc, tableName, item, eventId);
        }),
      );
      for (const outcome of outcomes) result[outcome]++;
      result.scanned += batch.length;
      const last = batch.at(-1);
      if (last) resumeKey = { tenant_id: last.tenant_id, sk: last.sk };
    }
    resumeKey = page.lastEvaluatedKey;
    if (resumeKey === undefined) return { ...result, done: true };
    if (outOfTime()) return stop();
  }
}

interface LegacyPage {
  items: EventTableKey[];
  lastEvaluatedKey?: EventTableKey;
}

async function scanLegacyPage(
  doc: DynamoDBDocumentClient,
  tableName: string,
  segment: number,
  totalSegments: number,
  pageSize: number,
  exclusiveStartKey: EventTableKey | undefined,
): Promise<LegacyPage> {
  try {
    const page = await doc.send(
      new ScanCommand({
        TableName: tableName,
        Segment: segment,
        TotalSegments: totalSegments,
        Limit: pageSize,
        ExclusiveStartKey: exclusiveStartKey,
        ProjectionExpression: '#tenant, #sk, #eventId',
        // Idempotency and control items never start with EVENT#, so they are never touched.
        FilterExpression: 'attribute_not_exists(#eventId) AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#tenant': EventAttr.tenantId, '#sk': EventAttr.sk, '#eventId': EventAttr.eventId },
        ExpressionAttributeValues: { ':prefix': EVENT_SK_PREFIX },
      }),
    );
    return {
      items: (page.Items ?? []) as EventTableKey[],
      lastEvaluatedKey: page.LastEvaluatedKey as EventTableKey | undefined,
    };
  } catch (error) {
    if (isResourceNotFound(error)) throw new TableNotFoundError(`Table ${tableName} does not exist`, { cause: error });
    throw withContext(error, `Backfill of segment ${segment} could not scan ${tableName}`);
  }
}

async function setEventId(
  doc: DynamoDBDocumentClient,
  tableName: string,
  key: EventTableKey,
  eventId: string,
): Promise<'updated' | 'skipped'> {
  try {
    await doc.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { tenant_id: key.tenant_id, sk: key.sk },
        UpdateExpression: 'SET #eventId = :id',
        // attribute_exists(sk): an item deleted since the scan must not come back as a bare stub.
        ConditionExpression: 'attribute_exists(#sk) AND attribute_not_exists(#eventId)',
        ExpressionAttributeNames: { '#sk': EventAttr.sk, '#eventId': EventAttr.eventId },
        ExpressionAttributeValues: { ':id': eventId },
      }),
    );
    return 'updated';
  } catch (error) {
    if (sdkErrorName(error) === 'ConditionalCheckFailedException') return 'skipped';
    throw withContext(error, `Backfill could not set event_id on ${key.tenant_id} / ${key.sk} in ${tableName}`);
  }
}
