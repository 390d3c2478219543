import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { QueryCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EVENT_SK_PREFIX } from '../../../api/src/domain/event';
import { EVENT_ID_INDEX, EventAttr } from '../../../api/src/store/table-schemas';
import { IndexNotActiveError, IndexNotFoundError, InvalidMigrationInputError, TableNotFoundError } from '../errors';
import { describeIndexStatus } from './index-status';
import { ReservoirSample } from './reservoir-sample';
import { isResourceNotFound, sdkErrorName } from './sdk-errors';
import { requireInteger, requireName } from './validate-input';
import type { SampleFailure, VerifyEventIdIndexReport } from './verify-event-id-index';

/*
 * Verification in parallel scan segments, each resumable across invocations, so that a table of any
 * size is verified within Lambda's 15-minute limit: start (index ACTIVE, one cutoff for every segment)
 * -> one loop per segment (count the table's event items, then the index's) -> finish (sum, sampled
 * lookups through the index, whether to count again).
 */

/** What every segment counts against: the same cutoff, taken once. */
export interface VerificationStart {
  tableName: string;
  indexName: string;
  /** The counts cover event items created before this time. */
  countedBefore: string;
  /** Counts finished so far (0 at the start). */
  countAttempts: number;
  /** Random items each segment keeps, so that their samples together hold the whole sample. */
  segmentSampleSize: number;
}

/** One segment's progress; the state machine passes it back until `done`. */
export interface VerifySegmentState {
  tableName: string;
  segment: number;
  totalSegments: number;
  countedBefore: string;
  /** Random items this segment keeps for lookups through the index. */
  sampleSize: number;
  eventItems: number;
  missingEventId: number;
  indexedItems: number;
  /** Event items offered to the sample so far. */
  seen: number;
  sample: SampleFailure[];
  /** Where the table scan resumes; absent once the table part is done (`part` = index). */
  tableStartKey?: Record<string, unknown>;
  indexStartKey?: Record<string, unknown>;
  part: 'table' | 'index';
  done: boolean;
}

/** Sampled items all segments together hand back through the Map (each ~150 bytes of its 256 KB payload). */
const SAMPLE_ITEMS_IN_PAYLOAD = 1000;

const NAMES = { '#tenant': EventAttr.tenantId, '#sk': EventAttr.sk, '#eventId': EventAttr.eventId };

/** Checks the index is ACTIVE and fixes the cutoff every segment counts against. */
export async function startVerification(input: {
  client: DynamoDBClient;
  tableName: string;
  indexName?: string;
  settleMs: number;
  totalSegments: number;
  sampleSize: number;
  countAttempts?: number;
  now?: () => number;
}): Promise<VerificationStart> {
  const tableName = requireName('tableName', input.tableName);
  const indexName = input.indexName ?? EVENT_ID_INDEX;
  const settleMs = requireInteger('settleMs', input.settleMs, 0, 15 * 60_000);
  const status = await describeIndexStatus(input.client, tableName, indexName);
  if (status === 'absent') throw new IndexNotFoundError(`Table ${tableName} has no index ${indexName}`);
  if (status !== 'ACTIVE') throw notActive(tableName, indexName, status);
  const countedBefore = new Date((input.now ?? Date.now)() - settleMs).toISOString();
  const totalSegments = requireInteger('totalSegments', input.totalSegments, 1, 1_000_000);
  const sampleSize = requireInteger('sampleSize', input.sampleSize, 0, 10_000);
  const countAttempts = requireInteger('countAttempts', input.countAttempts ?? 0, 0, 10);
  // As many as the state machine's payload affords (one tenant may fill a single segment): the whole
  // sample up to 25 segments, at least 25 items each at 40.
  const segmentSampleSize = Math.min(
    sampleSize,
    Math.max(Math.ceil(sampleSize / totalSegments), Math.floor(SAMPLE_ITEMS_IN_PAYLOAD / totalSegments)),
  );
  return { tableName, indexName, countedBefore, countAttempts, segmentSampleSize };
}

/**
 * Counts one segment's event items in the table (and those without `event_id`), then in the index, for
 * at most `timeBudgetMs`, resuming from the state an earlier invocation returned.
 */
export async function verifySegment(input: {
  doc: DynamoDBDocumentClient;
  state: Pick<VerifySegmentState, 'tableName' | 'segment' | 'totalSegments' | 'countedBefore' | 'sampleSize'> &
    Partial<VerifySegmentState>;
  indexName?: string;
  timeBudgetMs: number;
  /** Items read per Scan page (default: DynamoDB's 1 MB pages). */
  pageSize?: number;
  random?: () => number;
  now?: () => number;
}): Promise<VerifySegmentState> {
  const given = input.state;
  const tableName = requireName('tableName', given.tableName);
  const totalSegments = requireInteger('totalSegments', given.totalSegments, 1, 1_000_000);
  const segment = requireInteger('segment', given.segment, 0, totalSegments - 1);
  const sampleSize = requireInteger('sampleSize', given.sampleSize, 0, 10_000);
  const countedBefore = requireName('countedBefore', given.countedBefore);
  const timeBudgetMs = requireInteger('timeBudgetMs', input.timeBudgetMs, 1, 15 * 60_000);
  const indexName = input.indexName ?? EVENT_ID_INDEX;
  const now = input.now ?? Date.now;
  const startedAt = now();
  const outOfTime = () => now() - startedAt >= timeBudgetMs;
  const cutoffSk = `${EVENT_SK_PREFIX}${countedBefore}`;
  const state: VerifySegmentState = {
    tableName,
    segment,
    totalSegments,
    countedBefore,
    sampleSize,
    eventItems: given.eventItems ?? 0,
    missingEventId: given.missingEventId ?? 0,
    indexedItems: given.indexedItems ?? 0,
    seen: given.seen ?? 0,
    sample: given.sample ?? [],
    part: given.part ?? 'table',
    done: false,
  };
  const reservoir = new ReservoirSample<SampleFailure>(sampleSize, input.random ?? Math.random, {
    items: state.sample,
    seen: state.seen,
  });
  const pageSize = input.pageSize === undefined ? undefined : requireInteger('pageSize', input.pageSize, 1, 10_000);
  const scanSegment = { Segment: segment, TotalSegments: totalSegments, ...(pageSize && { Limit: pageSize }) };

  let tableKey = given.tableStartKey;
  while (state.part === 'table') {
    const page = await readTable(tableName, () =>
      input.doc.send(
        new ScanCommand({
          TableName: tableName,
          ...scanSegment,
          ExclusiveStartKey: tableKey,
          ProjectionExpression: '#tenant, #sk, #eventId',
          FilterExpression: 'begins_with(#sk, :prefix)',
          ExpressionAttributeNames: NAMES,
          ExpressionAttributeValues: { ':prefix': EVENT_SK_PREFIX },
        }),
      ),
    );
    for (const item of (page.Items ?? []) as { tenant_id: string; sk: string; event_id?: unknown }[]) {
      const settled = item.sk < cutoffSk;
      if (settled) state.eventItems++;
      if (typeof item.event_id !== 'string') state.missingEventId++;
      // Only items older than the cutoff are sampled: a newer one may not have reached the index yet.
      else if (settled) reservoir.offer({ tenantId: item.tenant_id, sk: item.sk, eventId: item.event_id });
    }
    tableKey = page.LastEvaluatedKey;
    if (!tableKey) state.part = 'index';
    else if (outOfTime()) return pause(state, reservoir, { tableStartKey: tableKey });
  }

  let indexKey = given.indexStartKey;
  for (;;) {
    const page = await readIndex(tableName, indexName, () =>
      input.doc.send(
        new ScanCommand({
          TableName: tableName,
          IndexName: indexName,
          ...scanSegment,
          Select: 'COUNT',
          ExclusiveStartKey: indexKey,
          FilterExpression: 'begins_with(#sk, :prefix) AND #sk < :cutoff',
          ExpressionAttributeNames: { '#sk': EventAttr.sk },
          ExpressionAttributeValues: { ':prefix': EVENT_SK_PREFIX, ':cutoff': cutoffSk },
        }),
      ),
    );
    state.indexedItems += page.Count ?? 0;
    indexKey = page.LastEvaluatedKey;
    if (!indexKey) return { ...pause(state, reservoir, {}), done: true };
    if (outOfTime()) return pause(state, reservoir, { indexStartKey: indexKey });
  }
}

function pause(
  state: VerifySegmentState,
  reservoir: ReservoirSample<SampleFailure>,
  keys: Pick<VerifySegmentState, 'tableStartKey' | 'indexStartKey'>,
): VerifySegmentState {
  return { ...state, ...keys, seen: reservoir.seenCount(), sample: [...reservoir.values()] };
}

/** The report of a verification whose segments are all done: sums, sampled lookups, and whether to count again. */
export async function finishVerification(input: {
  doc: DynamoDBDocumentClient;
  start: VerificationStart;
  segments: VerifySegmentState[];
  /** Sampled lookups in total (about: each segment's share is rounded up). */
  sampleSize: number;
  /** Counts taken before a mismatch is reported (default 3). */
  maxCountAttempts?: number;
}): Promise<VerifyEventIdIndexReport & { recount: boolean }> {
  const { tableName, indexName, countedBefore } = input.start;
  const countAttempts = input.start.countAttempts + 1;
  const maxAttempts = requireInteger('maxCountAttempts', input.maxCountAttempts ?? 3, 1, 10);
  if (input.segments.some((segment) => !segment.done)) {
    throw new IndexNotActiveError(`Verification of ${tableName} finished with a segment not done`);
  }
  const sum = (field: 'eventItems' | 'indexedItems' | 'missingEventId') =>
    input.segments.reduce((total, segment) => total + segment[field], 0);
  const eventItems = sum('eventItems');
  const indexedItems = sum('indexedItems');
  const missingEventId = sum('missingEventId');
  // Each segment contributes in proportion to the event items it saw: together a uniform sample of the table.
  const seen = input.segments.reduce((total, segment) => total + segment.seen, 0);
  const sample = input.segments.flatMap((segment) =>
    segment.sample.slice(0, seen === 0 ? 0 : Math.ceil((input.sampleSize * segment.seen) / seen)),
  );
  const sampleFailures: SampleFailure[] = [];
  for (const candidate of sample) {
    const { Items } = await readIndex(tableName, indexName, () =>
      input.doc.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: indexName,
          KeyConditionExpression: '#eventId = :id',
          ProjectionExpression: '#tenant, #sk',
          ExpressionAttributeNames: NAMES,
          ExpressionAttributeValues: { ':id': candidate.eventId },
        }),
      ),
    );
    if (!(Items ?? []).some((item) => item.tenant_id === candidate.tenantId && item.sk === candidate.sk)) {
      sampleFailures.push(candidate);
    }
  }
  const ok = missingEventId === 0 && eventItems === indexedItems && sampleFailures.length === 0;
  return {
    tableName,
    indexName,
    countedBefore,
    eventItems,
    indexedItems,
    countAttempts,
    missingEventId,
    sampled: sample.length,
    sampleFailures,
    ok,
    // Counts that disagree while everything else holds may be an event deleted between the two counts.
    recount: !ok && missingEventId === 0 && sampleFailures.length === 0 && countAttempts < maxAttempts,
  };
}

function notActive(tableName: string, indexName: string, status: string, cause?: unknown): IndexNotActiveError {
  return new IndexNotActiveError(
    `Index ${indexName} on ${tableName} is ${status}, not ACTIVE: it cannot be read until its backfill completes`,
    { cause },
  );
}

async function readIndex<T>(tableName: string, indexName: string, read: () => Promise<T>): Promise<T> {
  try {
    return await readTable(tableName, read);
  } catch (error) {
    if (sdkErrorName(error) === 'ValidationException') throw notActive(tableName, indexName, 'not readable', error);
    throw error;
  }
}

async function readTable<T>(tableName: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (isResourceNotFound(error)) throw new TableNotFoundError(`Table ${tableName} does not exist`, { cause: error });
    throw error;
  }
}

/** One verification step as the state machine's Lambda task sends it (`phase`), and what it answers. */
export type VerifyStepEvent =
  | { phase: 'start'; tableName: string; totalSegments: number; countAttempts?: number }
  | ({ phase: 'segment' } & Parameters<typeof verifySegment>[0]['state'])
  | { phase: 'finish'; start: VerificationStart; segments: VerifySegmentState[] };

/** Runs one verification step with the deployment's budgets. */
export async function verifyStep(
  event: VerifyStepEvent,
  deps: {
    client: DynamoDBClient;
    doc: DynamoDBDocumentClient;
    sampleSize: number;
    settleMs: number;
    /** Each segment invocation stops after this long and hands back its progress. */
    timeBudgetMs: number;
    pageSize?: number;
  },
): Promise<unknown> {
  switch (event.phase) {
    case 'start':
      return startVerification({ ...deps, ...event });
    case 'segment':
      return {
        phase: 'segment',
        ...(await verifySegment({
          doc: deps.doc,
          state: event,
          timeBudgetMs: deps.timeBudgetMs,
          ...(deps.pageSize && { pageSize: deps.pageSize }),
        })),
      };
    case 'finish':
      return finishVerification({
        doc: deps.doc,
        start: event.start,
        segments: event.segments,
        sampleSize: deps.sampleSize,
      });
    default:
      throw new InvalidMigrationInputError(
        `phase must be start, segment or finish; received ${JSON.stringify((event as { phase?: unknown }).phase)}`,
      );
  }
}
