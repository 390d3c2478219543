import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EVENT_SK_PREFIX } from '../../../contract/event';
import { EventAttr, type DerivedIndex } from '../../../contract/table-schemas';
import {
  IndexNotActiveError,
  IndexNotFoundError,
  InvalidMigrationInputError,
  TableNotFoundError,
  VerificationTooSlowError,
} from '../errors';
import { attributesToRead, checkDerived, indexKeyOf, requireDerivedIndex, type Item } from './derived-item';
import { describeIndexStatus } from './index-status';
import { ReservoirSample } from './reservoir-sample';
import { isResourceNotFound, sdkErrorName } from './sdk-errors';
import { requireInteger, requireName } from './validate-input';

/*
 * Verification in parallel scan segments, each resumable across invocations, so that a table of any
 * size is verified within Lambda's 15-minute limit: start (index ACTIVE, one cutoff for every segment)
 * -> one loop per segment (check every event item's derived attributes and count the items that belong
 * in the index, then count the index's) -> finish (sum, sampled lookups through the index, whether to
 * count again).
 *
 * What is checked depends on the index's membership. Every item's derived attributes are checked exactly,
 * whatever the API does meanwhile (it writes them with every event, and removes a `while-pending` index's
 * with `inbox_pk` in the same UpdateItem). The counts of the table and the index must agree only for a
 * `permanent` index: acknowledgements move items out of a `while-pending` index while it is being counted,
 * so its counts are reported, not compared.
 *
 * DynamoDB's TTL deletes expired items at any time, from the table and the index at different moments, so
 * an item that may expire while verification runs must not count: the counts and the sample cover only
 * items whose `expires_at` lies beyond the verification's deadline (or that have none), and a verification
 * still running at its deadline stops as in doubt (VerificationTooSlowError) instead of reporting a mismatch.
 */

/** A sampled item: its table key and the index key it should be found under. */
export interface SampleFailure {
  tenantId: string;
  sk: string;
  /** The item's derived attributes, from which its key in the index is built. */
  derived: Record<string, string>;
}

/** The item counts and exact checks of a verification, summed over segments. */
interface Counts {
  /** Event items that belong in the index (`derive` gives their attributes) created before `countedBefore`, in the table. */
  belongingItems: number;
  /** Event items created before `countedBefore` in the index. */
  indexedItems: number;
  /** Event items (all of them) that belong in the index but lack one of its derived attributes. */
  missingDerived: number;
  /** Event items that belong in the index but hold another value (or type) in one of its derived attributes. */
  wrongDerived: number;
  /** Event items that ought to be in the index but whose derived attributes cannot be computed (e.g. an unparseable sort key). */
  underivable: number;
  /** Event items that do not belong in the index yet carry one of its derived attributes (an acknowledged event in an inbox index). */
  strayDerived: number;
}

export interface VerifyIndexReport extends Counts {
  tableName: string;
  indexName: string;
  /** The index's membership (DERIVED_INDEXES): whether the counts must agree. */
  membership: DerivedIndex['membership'];
  /**
   * True for a `permanent` index: `belongingItems` must equal `indexedItems`. False for a `while-pending`
   * index, whose items leave it when acknowledged while it is counted: the counts are only reported.
   */
  countsMustAgree: boolean;
  /** The counts below cover event items created before this time. */
  countedBefore: string;
  /** ...and whose `expires_at` (epoch seconds) is later than this, or absent: TTL cannot delete them meanwhile. */
  countedExpiringAfter: number;
  /** Counts taken: more than one when the first disagreed. */
  countAttempts: number;
  sampled: number;
  /** Sampled items that still belong (a consistent read) but that a Query on the index by their key did not return. */
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
export interface VerifySegmentState extends Counts {
  tableName: string;
  indexName: string;
  segment: number;
  totalSegments: number;
  countedBefore: string;
  countedExpiringAfter: number;
  deadline: string;
  /** Random items this segment keeps for lookups through the index (lowered if they outgrow its share of the payload). */
  sampleSize: number;
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

const COUNT_FIELDS = [
  'belongingItems',
  'indexedItems',
  'missingDerived',
  'wrongDerived',
  'underivable',
  'strayDerived',
] as const satisfies readonly (keyof Counts)[];

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
  const { indexName } = requireDerivedIndex(input.indexName);
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
 * Checks one segment's event items in the table (their derived attributes, and counts those that belong in
 * the index), then counts its event items in the index, for at most `timeBudgetMs`, resuming from the state
 * an earlier invocation returned.
 */
export async function verifySegment(input: {
  doc: DynamoDBDocumentClient;
  state: Pick<
    VerifySegmentState,
    'tableName' | 'segment' | 'totalSegments' | 'countedBefore' | 'sampleSize' | 'countedExpiringAfter' | 'deadline'
  > &
    Partial<VerifySegmentState>;
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
  const { indexName, index } = requireDerivedIndex(given.indexName);
  const now = input.now ?? Date.now;
  const startedAt = now();
  const outOfTime = () => now() - startedAt >= timeBudgetMs;
  const checkDeadline = () => requireBeforeDeadline(tableName, deadline, now());
  checkDeadline();
  const cutoffSk = `${EVENT_SK_PREFIX}${countedBefore}`;
  const state: VerifySegmentState = {
    tableName,
    indexName,
    segment,
    totalSegments,
    countedBefore,
    countedExpiringAfter,
    deadline: given.deadline,
    sampleSize,
    ...(Object.fromEntries(COUNT_FIELDS.map((field) => [field, given[field] ?? 0])) as unknown as Counts),
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

  const read = [...attributesToRead(index), EventAttr.expiresAt];
  const readNames = Object.fromEntries(read.map((name, i) => [`#a${i}`, name]));
  let tableKey = given.tableStartKey;
  while (state.part === 'table') {
    const page = await readTable(tableName, () =>
      input.doc.send(
        new ScanCommand({
          TableName: tableName,
          ...scanSegment,
          ExclusiveStartKey: tableKey,
          ProjectionExpression: Object.keys(readNames).join(', '),
          FilterExpression: 'begins_with(#sk, :prefix)',
          ExpressionAttributeNames: { ...readNames, '#sk': EventAttr.sk },
          ExpressionAttributeValues: { ':prefix': EVENT_SK_PREFIX },
        }),
      ),
    );
    checkDeadline();
    for (const item of (page.Items ?? []) as (Item & { tenant_id: string; sk: string })[]) {
      const check = checkDerived(index, item);
      if (!check.belongs) {
        if (check.underivable) state.underivable++;
        if (check.stray) state.strayDerived++;
        continue;
      }
      if (check.holds === 'missing') state.missingDerived++;
      if (check.holds === 'wrong') state.wrongDerived++;
      if (item.sk >= cutoffSk || mayExpire(item[EventAttr.expiresAt], countedExpiringAfter)) continue;
      state.belongingItems++;
      // Only counted items are sampled: a newer one may not have reached the index yet, an expiring one may go.
      if (check.holds === 'right')
        reservoir.offer({ tenantId: item.tenant_id, sk: item.sk, derived: { ...check.derived } });
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
}): Promise<VerifyIndexReport & { recount: boolean }> {
  const { tableName, countedBefore } = input.start;
  const { indexName, index } = requireDerivedIndex(input.start.indexName);
  const countAttempts = input.start.countAttempts + 1;
  const maxAttempts = requireInteger('maxCountAttempts', input.maxCountAttempts ?? 3, 1, 10);
  const now = input.now ?? Date.now;
  const deadline = requireTime('deadline', input.start.deadline);
  if (input.segments.some((segment) => !segment.done)) {
    throw new IndexNotActiveError(`Verification of ${tableName} finished with a segment not done`);
  }
  requireBeforeDeadline(tableName, deadline, now());
  const counts = Object.fromEntries(
    COUNT_FIELDS.map((field) => [field, input.segments.reduce((total, segment) => total + (segment[field] ?? 0), 0)]),
  ) as unknown as Counts;
  // Each segment contributes in proportion to the event items it saw: together a uniform sample of the table.
  const seen = input.segments.reduce((total, segment) => total + segment.seen, 0);
  const sample = input.segments.flatMap((segment) =>
    segment.sample.slice(0, seen === 0 ? 0 : Math.ceil((input.sampleSize * segment.seen) / seen)),
  );
  const sampleFailures: SampleFailure[] = [];
  for (const candidate of sample) {
    if (await foundInIndex(input.doc, tableName, indexName, index, candidate)) continue;
    // Not in the index: a failure only if the item still belongs there (the API may have deleted or
    // acknowledged it since).
    if (await stillBelongs(input.doc, tableName, index, candidate)) sampleFailures.push(candidate);
  }
  requireBeforeDeadline(tableName, deadline, now());
  const countsMustAgree = index.membership === 'permanent';
  const exact =
    counts.missingDerived === 0 &&
    counts.wrongDerived === 0 &&
    counts.underivable === 0 &&
    counts.strayDerived === 0 &&
    sampleFailures.length === 0;
  const countsAgree = !countsMustAgree || counts.belongingItems === counts.indexedItems;
  const ok = exact && countsAgree;
  return {
    tableName,
    indexName,
    membership: index.membership,
    countsMustAgree,
    countedBefore,
    countedExpiringAfter: input.start.countedExpiringAfter,
    ...counts,
    countAttempts,
    sampled: sample.length,
    sampleFailureCount: sampleFailures.length,
    // A few, to look up by hand; the report must stay small (it travels in the execution's payload).
    sampleFailures: sampleFailures.slice(0, LISTED_SAMPLE_FAILURES),
    ok,
    // Counts that disagree while everything else holds may be an event deleted between the two counts.
    recount: exact && !countsAgree && countAttempts < maxAttempts,
  };
}

/** True when a Query on the index by the sampled item's key returns it. */
async function foundInIndex(
  doc: DynamoDBDocumentClient,
  tableName: string,
  indexName: string,
  index: DerivedIndex,
  candidate: SampleFailure,
): Promise<boolean> {
  const key = Object.entries(indexKeyOf(index, candidate));
  const { Items } = await readIndex(tableName, indexName, () =>
    doc.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: indexName,
        KeyConditionExpression: key.map((_, i) => `#k${i} = :k${i}`).join(' AND '),
        ProjectionExpression: '#tenant, #sk',
        ExpressionAttributeNames: {
          '#tenant': EventAttr.tenantId,
          '#sk': EventAttr.sk,
          ...Object.fromEntries(key.map(([name], i) => [`#k${i}`, name])),
        },
        ExpressionAttributeValues: Object.fromEntries(key.map(([, value], i) => [`:k${i}`, value])),
      }),
    ),
  );
  return (Items ?? []).some((item) => item.tenant_id === candidate.tenantId && item.sk === candidate.sk);
}

/** True when a consistent read finds the item still in the table and still belonging in the index (not acknowledged meanwhile). */
async function stillBelongs(
  doc: DynamoDBDocumentClient,
  tableName: string,
  index: DerivedIndex,
  candidate: SampleFailure,
): Promise<boolean> {
  const read = attributesToRead(index);
  const { Item } = await readTable(tableName, () =>
    doc.send(
      new GetCommand({
        TableName: tableName,
        Key: { [EventAttr.tenantId]: candidate.tenantId, [EventAttr.sk]: candidate.sk },
        ConsistentRead: true,
        ProjectionExpression: read.map((_, i) => `#a${i}`).join(', '),
        ExpressionAttributeNames: Object.fromEntries(read.map((name, i) => [`#a${i}`, name])),
      }),
    ),
  );
  return Item !== undefined && index.derive(Item) !== undefined;
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
  | { phase: 'start'; tableName: string; indexName?: string; totalSegments: number; countAttempts?: number }
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
