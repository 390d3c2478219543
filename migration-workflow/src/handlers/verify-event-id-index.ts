import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { QueryCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EVENT_SK_PREFIX } from '../../../api/src/domain/event';
import { EVENT_ID_INDEX, EventAttr } from '../../../api/src/store/table-schemas';
import { IndexNotActiveError, IndexNotFoundError, TableNotFoundError } from '../errors';
import { describeIndexStatus } from './index-status';
import { ReservoirSample } from './reservoir-sample';
import { isResourceNotFound, sdkErrorName } from './sdk-errors';
import { requireInteger, requireName } from './validate-input';

export interface VerifyEventIdIndexInput {
  doc: DynamoDBDocumentClient;
  client: DynamoDBClient;
  tableName: string;
  /** Default `event-id-index`. */
  indexName?: string;
  /** How many random event items to look up through the index. */
  sampleSize: number;
  /** Uniform in [0, 1); injectable for reproducible samples. */
  random?: () => number;
  /**
   * The counts cover event items created at least this long before verification started (default
   * 5 s): the API keeps writing during a migration, and a new item reaches the index a moment after
   * the table. A count mismatch is also re-checked after this long, in case an event was deleted
   * between the two counts.
   */
  settleMs?: number;
  /** Counts taken before a mismatch is reported (default 3). */
  countAttempts?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface SampleFailure {
  tenantId: string;
  sk: string;
  eventId: string;
}

export interface VerifyEventIdIndexReport {
  tableName: string;
  indexName: string;
  /** The counts below cover event items created before this time. */
  countedBefore: string;
  /** Event items (`sk` starting with EVENT#) created before `countedBefore`, in the table. */
  eventItems: number;
  /** The same, in the index. */
  indexedItems: number;
  /** Counts taken: more than one when the first disagreed. */
  countAttempts: number;
  /** Event items (all of them) without a string `event_id` (absent, or of a type the index silently leaves out). */
  missingEventId: number;
  sampled: number;
  /** Sampled items that a Query on the index by their `event_id` did not return. */
  sampleFailures: SampleFailure[];
  ok: boolean;
}

interface ScannedEvent {
  tenant_id: string;
  sk: string;
  event_id?: unknown;
}

const DEFAULT_SETTLE_MS = 5000;
const DEFAULT_COUNT_ATTEMPTS = 3;

const NAMES = { '#tenant': EventAttr.tenantId, '#sk': EventAttr.sk, '#eventId': EventAttr.eventId };

/**
 * Checks that the index is complete rather than trusting its ACTIVE status: every event item has a
 * string `event_id`, table and index hold as many event items, and sampled lookups find their items.
 */
export async function verifyEventIdIndex(input: VerifyEventIdIndexInput): Promise<VerifyEventIdIndexReport> {
  const tableName = requireName('tableName', input.tableName);
  const indexName = input.indexName ?? EVENT_ID_INDEX;
  const sampleSize = requireInteger('sampleSize', input.sampleSize, 0, 10_000);
  const settleMs = requireInteger('settleMs', input.settleMs ?? DEFAULT_SETTLE_MS, 0, 15 * 60_000);
  const maxAttempts = requireInteger('countAttempts', input.countAttempts ?? DEFAULT_COUNT_ATTEMPTS, 1, 10);
  const sleep = input.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  await requireActiveIndex(input.client, tableName, indexName);

  const countedBefore = new Date((input.now ?? Date.now)() - settleMs).toISOString();
  const cutoffSk = `${EVENT_SK_PREFIX}${countedBefore}`;
  const reservoir = new ReservoirSample<SampleFailure>(sampleSize, input.random ?? Math.random);
  let table = await scanEventItems(input.doc, tableName, cutoffSk, reservoir);
  let indexedItems = await readIndex(tableName, indexName, () =>
    countIndexedEvents(input.doc, tableName, indexName, cutoffSk),
  );
  let countAttempts = 1;
  while (table.eventItems !== indexedItems && countAttempts < maxAttempts) {
    await sleep(settleMs);
    countAttempts++;
    table = await scanEventItems(input.doc, tableName, cutoffSk);
    indexedItems = await readIndex(tableName, indexName, () =>
      countIndexedEvents(input.doc, tableName, indexName, cutoffSk),
    );
  }
  const sampleFailures: SampleFailure[] = [];
  for (const candidate of reservoir.values()) {
    const found = await readIndex(tableName, indexName, () =>
      findThroughIndex(input.doc, tableName, indexName, candidate),
    );
    if (!found) sampleFailures.push(candidate);
  }
  const { eventItems, missingEventId } = table;
  return {
    tableName,
    indexName,
    countedBefore,
    eventItems,
    indexedItems,
    countAttempts,
    missingEventId,
    sampled: reservoir.values().length,
    sampleFailures,
    ok: missingEventId === 0 && eventItems === indexedItems && sampleFailures.length === 0,
  };
}

async function requireActiveIndex(client: DynamoDBClient, tableName: string, indexName: string): Promise<void> {
  const status = await describeIndexStatus(client, tableName, indexName);
  if (status === 'absent') throw new IndexNotFoundError(`Table ${tableName} has no index ${indexName}`);
  if (status !== 'ACTIVE') throw notActive(tableName, indexName, status);
}

function notActive(tableName: string, indexName: string, status: string, cause?: unknown): IndexNotActiveError {
  return new IndexNotActiveError(
    `Index ${indexName} on ${tableName} is ${status}, not ACTIVE: it cannot be read until its backfill completes`,
    { cause },
  );
}

/** Runs a read on the index; the engine (like DynamoDB) refuses reads on an index still backfilling. */
async function readIndex<T>(tableName: string, indexName: string, read: () => Promise<T>): Promise<T> {
  try {
    return await readTable(tableName, read);
  } catch (error) {
    if (sdkErrorName(error) === 'ValidationException') throw notActive(tableName, indexName, 'not readable', error);
    throw error;
  }
}

/** Runs a read on the table, naming a missing table clearly. */
async function readTable<T>(tableName: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (isResourceNotFound(error)) throw new TableNotFoundError(`Table ${tableName} does not exist`, { cause: error });
    throw error;
  }
}

/** Counts event items created before `cutoffSk` and those (of any age) without `event_id`; offers each to `reservoir`. */
async function scanEventItems(
  doc: DynamoDBDocumentClient,
  tableName: string,
  cutoffSk: string,
  reservoir?: ReservoirSample<SampleFailure>,
): Promise<{ eventItems: number; missingEventId: number }> {
  let eventItems = 0;
  let missingEventId = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await readTable(tableName, () =>
      doc.send(
        new ScanCommand({
          TableName: tableName,
          ExclusiveStartKey: startKey,
          ProjectionExpression: '#tenant, #sk, #eventId',
          FilterExpression: 'begins_with(#sk, :prefix)',
          ExpressionAttributeNames: NAMES,
          ExpressionAttributeValues: { ':prefix': EVENT_SK_PREFIX },
        }),
      ),
    );
    for (const item of (page.Items ?? []) as ScannedEvent[]) {
      if (item.sk < cutoffSk) eventItems++;
      if (typeof item.event_id !== 'string') missingEventId++;
      else reservoir?.offer({ tenantId: item.tenant_id, sk: item.sk, eventId: item.event_id });
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return { eventItems, missingEventId };
}

async function countIndexedEvents(
  doc: DynamoDBDocumentClient,
  tableName: string,
  indexName: string,
  cutoffSk: string,
): Promise<number> {
  let count = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new ScanCommand({
        TableName: tableName,
        IndexName: indexName,
        Select: 'COUNT',
        ExclusiveStartKey: startKey,
        FilterExpression: 'begins_with(#sk, :prefix) AND #sk < :cutoff',
        ExpressionAttributeNames: { '#sk': EventAttr.sk },
        ExpressionAttributeValues: { ':prefix': EVENT_SK_PREFIX, ':cutoff': cutoffSk },
      }),
    );
    count += page.Count ?? 0;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return count;
}

async function findThroughIndex(
  doc: DynamoDBDocumentClient,
  tableName: string,
  indexName: string,
  expected: SampleFailure,
): Promise<boolean> {
  const { Items } = await doc.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: indexName,
      KeyConditionExpression: '#eventId = :id',
      ProjectionExpression: '#tenant, #sk',
      ExpressionAttributeNames: NAMES,
      ExpressionAttributeValues: { ':id': expected.eventId },
    }),
  );
  return (Items ?? []).some((item) => item.tenant_id === expected.tenantId && item.sk === expected.sk);
}
