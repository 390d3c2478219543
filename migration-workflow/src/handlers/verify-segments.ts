import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EVENT_SK_PREFIX } from '../../../contract/event';
import { EVENT_ID_INDEX, EventAttr } from '../../../contract/table-schemas';
import {
  IndexNotActiveError,
  IndexNotFoundError,
  InvalidMigrationInputError,
  TableNotFoundError,
  VerificationTooSlowError,
} from '../errors';
import { describeIndexStatus } from './index-status';
import { ReservoirSample } from './reservoir-sample';
import { isResourceNotFound, sdkErrorName } from './sdk-errors';
import { requireInteger, requireName } from './validate-input';

/*
 * Verification in parallel scan segments, each resumable across invocations, so that a table of any
 * size is verified within Lambda's 15-minute limit: start (index ACTIVE, one cutoff for every segment)
 * -> one loop per segment (count the table's event items, then the index's) -> finish (sum, sampled
 * lookups through the index, whether to count again).
 *
 * DynamoDB's TTL deletes expired items at any time, from the table and the index at different moments, so
 * an item that may expire while verification runs must not count: the counts and the sample cover only
 * items whose `expires_at` lies beyond the verification's deadline (or that have none), and a verification
 * still running at its deadline stops as in doubt (VerificationTooSlowError) instead of reporting a mismatch.
 */

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
  /** ...and whose `expires_at` (epoch seconds) is later than this, or absent: TTL cannot delete them meanwhile. */
  countedExpiringAfter: number;
  /** Event items (`sk` starting with EVENT#) created before `countedBefore`, in the table. */
  eventItems: number;
  /** The same, in the index. */
  indexedItems: number;
  /** Counts taken: more than one when the first disagreed. */
  countAttempts: number;
  /** Event items (all of them) without a string `event_id` (absent, or of a type the index silently leaves out). */
  missingEventId: number;
  sampled: number;
  /** Sampled items still in the table that a Query on the index by their `event_id` did not return. */
  sampleFailureCount: number;
  /** The first of them (at most LISTED_SAMPLE_FAILURES), to look up by hand. */
  sampleFailures: SampleFailure[];
  ok: boolean;
}

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
  /** Items whose numeric `expires_at` (epoch seconds) is at most this are not counted: TTL may delete them meanwhile. */
  countedExpiringAfter: number;
  /** When `countedExpiringAfter` is reached (ISO time): a verification still running then is in doubt. */
  deadline: string;
}

/** One segment's progress; the state machine passes it back until `done`. */
export interface VerifySegmentState {
  tableName: string;
  segment: number;
  totalSegments: number;
  countedBefore: string;
  countedExpiringAfter: number;
  deadline: string;
  /** Random items this segment keeps for lookups through the index (lowered if they outgrow its share of the payload). */
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

/** Sampled items all segments together hand back through the Map (typically ~150 bytes each). */
const SAMPLE_ITEMS_IN_PAYLOAD = 1000;

/**
 * Bytes of sampled items all segments together may hand back: the Map's result and the report share the
 * execution's 256 KB payload, and a payload over it fails the execution with an error no Catch sees.
 * Keys of up to 2 KB (legacy tenants) would make 1,000 items far larger, so each segment's share is
 * enforced in bytes too.
 */
export const SAMPLE_BYTES_IN_PAYLOAD = 128 * 1024;

/** Sample failures listed in the report (all are counted). */
export const LISTED_SAMPLE_FAILURES = 20;

/** Default time from the start of a verification to its deadline: TTL deletions cannot touch what it counts before then. */
export const DEFAULT_TTL_MARGIN_SECONDS = 24 * 3600;

const NAMES = {
  '#tenant': EventAttr.tenantId,
  '#sk': EventAttr.sk,
  '#eventId': EventAttr.eventId,
  '#expires': EventAttr.expiresAt,
};

/** True when TTL may delete an item with this `expires_at` before the verification's deadline. */
function mayExpire(expiresAt: unknown, countedExpiringAfter: number): boolean {
  return typeof expiresAt === 'number' && expiresAt <= countedExpiringAfter;
}

/** Checks the index is ACTIVE and fixes the cutoff every segment counts against. */
export async function startVerification(input: {
  client: DynamoDBClient;
  tableName: string;
  indexName?: string;
  settleMs: number;
  totalSegments: number;
  sampleSize: number;
  countAttempts?: number;
  /** How long verification may run before TTL could delete what it counts (default 24 h). */
  ttlMarginSeconds?: number;
  now?: () => number;
}): Promise<VerificationStart> {
  const tableName = requireName('tableName', input.tableName);
  const indexName = input.indexName ?? EVENT_ID_INDEX;
  const settleMs = requireInteger('settleMs', input.settleMs, 0, 15 * 60_000);
  const status = await describeIndexStatus(input.client, tableName, indexName);
  if (status === 'absent') throw new IndexNotFoundError(`Table ${tableName} has no index ${indexName}`);
  if (status !== 'ACTIVE') throw notActive(tableName, indexName, status);
  const now = (input.now ?? Date.now)();
  const countedBefore = new Date(now - settleMs).toISOString();
  const ttlMarginSeconds = requireInteger(
    'ttlMarginSeconds',
    input.ttlMarginSeconds ?? DEFAULT_TTL_MARGIN_SECONDS,
    60,
    30 * 86400,
  );
  const countedExpiringAfter = Math.ceil(now / 1000) + ttlMarginSeconds;
  const deadline = new Date(now + ttlMarginSeconds * 1000).toISOString();
  const totalSegments = requireInteger('totalSegments', input.totalSegments, 1, 1_000_000);
  const sampleSize = requireInteger('sampleSize', input.sampleSize, 0, 10_000);
  const countAttempts = requireInteger('countAttempts', input.countAttempts ?? 0, 0, 10);
  // As many as the state machine's payload affords (one tenant may fill a single segment): the whole
  // sample up to 25 segments, at least 25 items each at 40.
  const segmentSampleSize = Math.min(
    sampleSize,
    Math.max(Math.ceil(sampleSize / totalSegments), Math.floor(SAMPLE_ITEMS_IN_PAYLOAD / totalSegments)),
  );
  return { tableName, indexName, countedBefore, countAttempts, segmentSampleSize, countedExpiringAfter, deadline };
}

/**
 * Counts one segment's event items in the table (and those without `event_id`), then in the index, for
 * at most `timeBudgetMs`, resuming from the state an earlier invocation returned.
 */
export async function verifySegment(input: {
  doc: DynamoDBDocumentClient;
  state: Pick<
    VerifySegmentState,
    'tableName' | 'segment' | 'totalSegments' | 'countedBefore' | 'sampleSize' | 'countedExpiringAfter' | 'deadline'
  > &
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
  const countedExpiringAfter = requireInteger('countedExpiringAfter', given.countedExpiringAfter, 0, 2 ** 40);
  const deadline = requireTime('deadline', given.deadline);
  const timeBudgetMs = requireInteger('timeBudgetMs', input.timeBudgetMs, 1, 15 * 60_000);
  const indexName = input.indexName ?? EVENT_ID_INDEX;
  const now = input.now ?? Date.now;
  const startedAt = now();
  const outOfTime = () => now() - startedAt >= timeBudgetMs;
  const checkDeadline = () => requireBeforeDeadline(tableName, deadline, now());
  checkDeadline();
  const cutoffSk = `${EVENT_SK_PREFIX}${countedBefore}`;
  const state: VerifySegmentState = {
    tableName,
    segment,
    totalSegments,
    countedBefore,
    countedExpiringAfter,
    deadline: given.deadline,
    sampleSize,
    eventItems: given.eventItems ?? 0,
    missingEventId: given.missingEventId ?? 0,
    indexedItems: given.indexedItems ?? 0,
    seen: given.seen ?? 0,
    sample: given.sample ?? [],
    part: given.part ?? 'table',
    done: false,
  };
  const random = input.random ?? Math.random;
  const reservoir = new ReservoirSample<SampleFailure>(sampleSize, random, {
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
          ProjectionExpression: '#tenant, #sk, #eventId, #expires',
          FilterExpression: 'begins_with(#sk, :prefix)',
          ExpressionAttributeNames: NAMES,
          ExpressionAttributeValues: { ':prefix': EVENT_SK_PREFIX },
        }),
      ),
    );
    checkDeadline();
    type Scanned = { tenant_id: string; sk: string; event_id?: unknown; expires_at?: unknown };
    for (const item of (page.Items ?? []) as Scanned[]) {
      const settled = item.sk < cutoffSk && !mayExpire(item.expires_at, countedExpiringAfter);
      if (settled) state.eventItems++;
      if (typeof item.event_id !== 'string') state.missingEventId++;
      // Only counted items are sampled: a newer one may not have reached the index yet, an expiring one may go.
      else if (settled) reservoir.offer({ tenantId: item.tenant_id, sk: item.sk, eventId: item.event_id });
    }
    tableKey = page.LastEvaluatedKey;
    if (!tableKey) state.part = 'index';
    else if (outOfTime()) return pause(state, reservoir, random, { tableStartKey: tableKey });
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
          // The same items the table part counts: settled, and not expiring before the deadline.
          FilterExpression:
            'begins_with(#sk, :prefix) AND #sk < :cutoff AND NOT (attribute_type(#expires, :number) AND #expires <= :expiring)',
          ExpressionAttributeNames: { '#sk': EventAttr.sk, '#expires': EventAttr.expiresAt },
          ExpressionAttributeValues: {
            ':prefix': EVENT_SK_PREFIX,
            ':cutoff': cutoffSk,
            ':number': 'N',
            ':expiring': countedExpiringAfter,
          },
        }),
      ),
    );
    checkDeadline();
    state.indexedItems += page.Count ?? 0;
    indexKey = page.LastEvaluatedKey;
    if (!indexKey) return { ...pause(state, reservoir, random, {}), done: true };
    if (outOfTime()) return pause(state, reservoir, random, { indexStartKey: indexKey });
  }
}

/**
 * The state handed back to the state machine. A sample larger than this segment's share of
 * SAMPLE_BYTES_IN_PAYLOAD loses random items (a random subset of a uniform sample is uniform) and the
 * segment keeps sampling at that smaller size.
 */
function pause(
  state: VerifySegmentState,
  reservoir: ReservoirSample<SampleFailure>,
  random: () => number,
  keys: Pick<VerifySegmentState, 'tableStartKey' | 'indexStartKey'>,
): VerifySegmentState {
  const sample = [...reservoir.values()];
  const budget = Math.floor(SAMPLE_BYTES_IN_PAYLOAD / state.totalSegments);
  let bytes = Buffer.byteLength(JSON.stringify(sample));
  while (sample.length > 0 && bytes > budget) {
    const [dropped] = sample.splice(Math.floor(random() * sample.length), 1);
    bytes -= Buffer.byteLength(JSON.stringify(dropped)) + 1;
  }
  const sampleSize = sample.length < reservoir.values().length ? sample.length : state.sampleSize;
  return { ...state, ...keys, sampleSize, seen: reservoir.seenCount(), sample };
}

function requireTime(field: string, value: unknown): number {
  const time = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(time)) {
    throw new InvalidMigrationInputError(`${field} must be an ISO time; received ${JSON.stringify(value)}`);
  }
  return time;
}

function requireBeforeDeadline(tableName: string, deadline: number, now: number): void {
  if (now < deadline) return;
  throw new VerificationTooSlowError(
    `Verification of ${tableName} ran past its deadline (${new Date(deadline).toISOString()}): items it counted may ` +
      'have expired (TTL) since, so the counts prove nothing. The index is kept; run the migration again to verify it.',
  );
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
  now?: () => number;
}): Promise<VerifyEventIdIndexReport & { recount: boolean }> {
  const { tableName, indexName, countedBefore } = input.start;
  const countAttempts = input.start.countAttempts + 1;
  const maxAttempts = requireInteger('maxCountAttempts', input.maxCountAttempts ?? 3, 1, 10);
  const now = input.now ?? Date.now;
  const deadline = requireTime('deadline', input.start.deadline);
  if (input.segments.some((segment) => !segment.done)) {
    throw new IndexNotActiveError(`Verification of ${tableName} finished with a segment not done`);
  }
  requireBeforeDeadline(tableName, deadline, now());
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
          ExpressionAttributeNames: { '#tenant': NAMES['#tenant'], '#sk': NAMES['#sk'], '#eventId': NAMES['#eventId'] },
          ExpressionAttributeValues: { ':id': candidate.eventId },
        }),
      ),
    );
    if ((Items ?? []).some((item) => item.tenant_id === candidate.tenantId && item.sk === candidate.sk)) continue;
    // Not in the index: a failure only if the item is still in the table (the API may have deleted it since).
    if (await stillInTable(input.doc, tableName, candidate)) sampleFailures.push(candidate);
  }
  requireBeforeDeadline(tableName, deadline, now());
  const ok = missingEventId === 0 && eventItems === indexedItems && sampleFailures.length === 0;
  return {
    tableName,
    indexName,
    countedBefore,
    countedExpiringAfter: input.start.countedExpiringAfter,
    eventItems,
    indexedItems,
    countAttempts,
    missingEventId,
    sampled: sample.length,
    sampleFailureCount: sampleFailures.length,
    // A few, to look up by hand; the report must stay small (it travels in the execution's payload).
    sampleFailures: sampleFailures.slice(0, LISTED_SAMPLE_FAILURES),
    ok,
    // Counts that disagree while everything else holds may be an event deleted between the two counts.
    recount: !ok && missingEventId === 0 && sampleFailures.length === 0 && countAttempts < maxAttempts,
  };
}

async function stillInTable(doc: DynamoDBDocumentClient, tableName: string, item: SampleFailure): Promise<boolean> {
  const { Item } = await readTable(tableName, () =>
    doc.send(
      new GetCommand({
        TableName: tableName,
        Key: { [EventAttr.tenantId]: item.tenantId, [EventAttr.sk]: item.sk },
        ConsistentRead: true,
        ProjectionExpression: '#sk',
        ExpressionAttributeNames: { '#sk': EventAttr.sk },
      }),
    ),
  );
  return Item !== undefined;
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
    /** Default DEFAULT_TTL_MARGIN_SECONDS. */
    ttlMarginSeconds?: number;
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
