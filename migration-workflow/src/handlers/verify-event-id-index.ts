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
}

export interface SampleFailure {
  tenantId: string;
  sk: string;
  eventId: string;
}

export interface VerifyEventIdIndexReport {
  tableName: string;
  indexName: string;
  /** Event items (`sk` starting with EVENT#) in the table. */
  eventItems: number;
  /** Event items in the index. */
  indexedItems: number;
  /** Event items without a string `event_id` (absent, or of a type the index silently leaves out). */
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

const NAMES = { '#tenant': EventAttr.tenantId, '#sk': EventAttr.sk, '#eventId': EventAttr.eventId };

/**
 * Checks that the index is complete rather than trusting its ACTIVE status: every event item has a
 * string `event_id`, table and index hold as many event items, and sampled lookups find their items.
 */
export async function verifyEventIdIndex(input: VerifyEventIdIndexInput): Promise<VerifyEventIdIndexReport> {
  const tableName = requireName('tableName', input.tableName);
  const indexName = input.indexName ?? EVENT_ID_INDEX;
  const sampleSize = requireInteger('sampleSize', input.sampleSize, 0, 10_000);
  await requireActiveIndex(input.client, tableName, indexName);

  const { eventItems, missingEventId, sample } = await scanEventItems(
    input.doc,
    tableName,
    new ReservoirSample<SampleFailure>(sampleSize, input.random ?? Math.random),
  );
  const indexedItems = await readIndex(tableName, indexName, () => countIndexedEvents(input.doc, tableName, indexName));
  const sampleFailures: SampleFailure[] = [];
  for (const candidate of sample) {
    const found = await readIndex(tableName, indexName, () =>
      findThroughIndex(input.doc, tableName, indexName, candidate),
    );
    if (!found) sampleFailures.push(candidate);
  }
  return {
    tableName,
    indexName,
    eventItems,
    indexedItems,
    missingEventId,
    sampled: sample.length,
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

async function scanEventItems(
  doc: DynamoDBDocumentClient,
  tableName: string,
  reservoir: ReservoirSample<SampleFailure>,
): Promise<{ eventItems: number; missingEventId: number; sample: readonly SampleFailure[] }> {
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
      eventItems++;
      if (typeof item.event_id !== 'string') missingEventId++;
      else reservoir.offer({ tenantId: item.tenant_id, sk: item.sk, eventId: item.event_id });
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return { eventItems, missingEventId, sample: reservoir.values() };
}

async function countIndexedEvents(doc: DynamoDBDocumentClient, tableName: string, indexName: string): Promise<number> {
  let count = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new ScanCommand({
        TableName: tableName,
        IndexName: indexName,
        Select: 'COUNT',
        ExclusiveStartKey: startKey,
        FilterExpression: 'begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#sk': EventAttr.sk },
        ExpressionAttributeValues: { ':prefix': EVENT_SK_PREFIX },
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
