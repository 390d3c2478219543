import { DeleteCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { seedLegacyEvents } from '../../../api/src/store/legacy-seed';
import { IndexNotActiveError, VerificationTooSlowError } from '../../src/errors';
import {
  finishVerification,
  SAMPLE_BYTES_IN_PAYLOAD,
  startVerification,
  verifySegment,
  type VerificationStart,
  type VerifySegmentState,
} from '../../src/handlers/verify-segments';
import { addEventIdIndex, createLegacyTable, startTestEngine, type TestEngine } from './support/legacy-table';
import { runBackfill } from './support/run-backfill';

let engine: TestEngine;

beforeAll(async () => {
  engine = await startTestEngine();
});

afterAll(async () => {
  await engine.stop();
});

/** Runs every segment the way the state machine's loop does, counting the invocations each needed. */
async function verifyAllSegments(
  start: VerificationStart,
  totalSegments: number,
  options: { timeBudgetMs: number; pageSize?: number; now?: () => number },
  /** Runs between invocations, as time passes between the state machine's loop iterations. */
  between: () => Promise<void> = () => Promise.resolve(),
): Promise<{ segments: VerifySegmentState[]; invocations: number }> {
  const segments: VerifySegmentState[] = [];
  let invocations = 0;
  for (let segment = 0; segment < totalSegments; segment++) {
    let state: VerifySegmentState | undefined;
    do {
      invocations++;
      state = await verifySegment({
        doc: engine.doc,
        state: state ?? {
          tableName: start.tableName,
          segment,
          totalSegments,
          countedBefore: start.countedBefore,
          countedExpiringAfter: start.countedExpiringAfter,
          deadline: start.deadline,
          sampleSize: start.segmentSampleSize,
        },
        ...options,
      });
      if (!state.done) await between();
    } while (!state.done);
    segments.push(state);
  }
  return { segments, invocations };
}

/** Starts a verification of `tableName` counting every event written so far (no settle time). */
function begin(
  tableName: string,
  totalSegments: number,
  sampleSize: number,
  more: { ttlMarginSeconds?: number } = {},
): Promise<VerificationStart> {
  return startVerification({ client: engine.client, tableName, settleMs: 0, totalSegments, sampleSize, ...more });
}

async function backfilledTable(count: number): Promise<string> {
  const { tableName } = await createLegacyTable(engine.client, engine.doc, count);
  await addEventIdIndex(engine.client, tableName);
  await runBackfill(engine.doc, tableName, { totalSegments: 2, timeBudgetMs: 60_000, maxWritesPerSecond: 100_000 });
  return tableName;
}

describe('verification in segments', () => {
  it('resumes each segment across invocations and reports what one pass would', async () => {
    const tableName = await backfilledTable(300);
    const start = await begin(tableName, 3, 30);

    const { segments, invocations } = await verifyAllSegments(start, 3, { timeBudgetMs: 1, pageSize: 20 });
    const report = await finishVerification({ doc: engine.doc, start, segments, sampleSize: 30 });

    expect(invocations).toBeGreaterThan(3 * 2);
    expect(report).toMatchObject({
      ok: true,
      recount: false,
      belongingItems: 300,
      indexedItems: 300,
      missingDerived: 0,
      sampleFailures: [],
      countAttempts: 1,
    });
    expect(report.sampled).toBeGreaterThanOrEqual(30);
  });

  it.each([
    [8, 100, 100],
    [25, 100, 40],
    [40, 100, 25],
  ])(
    'keeps as much of the sample per segment as the payload affords (%i segments, %i sampled: %i each), so one large tenant still fills it',
    async (totalSegments, sampleSize, expected) => {
      const tableName = await backfilledTable(3);
      const start = await begin(tableName, totalSegments, sampleSize);
      expect(start.segmentSampleSize).toBe(expected);
    },
  );

  it('fails on an event whose index key cannot be derived (no id in its sort key), without asking to count again', async () => {
    const tableName = await backfilledTable(50);
    await engine.doc.send(
      new PutCommand({ TableName: tableName, Item: { tenant_id: 'tenant-a', sk: 'EVENT#broken' } }),
    );
    const start = await begin(tableName, 2, 10);

    const { segments } = await verifyAllSegments(start, 2, { timeBudgetMs: 60_000 });
    const report = await finishVerification({ doc: engine.doc, start, segments, sampleSize: 10 });

    expect(report).toMatchObject({ ok: false, recount: false, underivable: 1, missingDerived: 0 });
  });

  it('asks to count again when only the counts disagree, until its attempts run out', async () => {
    const tableName = await backfilledTable(20);
    const start = await begin(tableName, 1, 5);
    const { segments } = await verifyAllSegments(start, 1, { timeBudgetMs: 60_000 });
    const skewed = segments.map((segment) => ({ ...segment, indexedItems: segment.indexedItems - 1 }));

    const first = await finishVerification({ doc: engine.doc, start, segments: skewed, sampleSize: 5 });
    const last = await finishVerification({
      doc: engine.doc,
      start: { ...start, countAttempts: 2 },
      segments: skewed,
      sampleSize: 5,
    });

    expect(first).toMatchObject({ ok: false, recount: true, countAttempts: 1 });
    expect(last).toMatchObject({ ok: false, recount: false, countAttempts: 3 });
  });

  it('refuses to start on an index that is not ACTIVE', async () => {
    const { tableName } = await createLegacyTable(engine.client, engine.doc, 5);
    await expect(begin(tableName, 1, 1)).rejects.toThrow(/has no index/);
    await expect(
      finishVerification({
        doc: engine.doc,
        start: {
          tableName,
          indexName: 'event-id-index',
          countedBefore: '',
          countAttempts: 0,
          segmentSampleSize: 1,
          countedExpiringAfter: 0,
          deadline: new Date(Date.now() + 60_000).toISOString(),
        },
        segments: [{ done: false } as VerifySegmentState],
        sampleSize: 1,
      }),
    ).rejects.toBeInstanceOf(IndexNotActiveError);
  });

  it('does not count or sample items TTL may delete before its deadline, so TTL deleting them mid-verification rolls nothing back', async () => {
    const tableName = await backfilledTable(60);
    // Items already expired (TTL has not got to them yet) and items expiring within the margin, backfilled too.
    const nowSeconds = Math.floor(Date.now() / 1000);
    const expiring = await seedLegacyEvents(engine.doc, {
      tableName,
      count: 40,
      tenants: ['tenant-a', 'tenant-b'],
      start: new Date(Date.now() - 3 * 86400_000),
      retentionSeconds: 3 * 86400 + 3600,
    });
    expect(expiring.every((item) => item.expires_at <= nowSeconds + 2 * 3600)).toBe(true);
    await runBackfill(engine.doc, tableName, { totalSegments: 1, timeBudgetMs: 60_000, maxWritesPerSecond: 100_000 });
    const start = await startVerification({
      client: engine.client,
      tableName,
      settleMs: 0,
      totalSegments: 1,
      sampleSize: 100,
      ttlMarginSeconds: 3 * 3600,
    });

    // TTL deletes the expiring items from the table (and so the index) while the segment is between pages.
    let deleted = false;
    const { segments } = await verifyAllSegments(start, 1, { timeBudgetMs: 1, pageSize: 10 }, async () => {
      if (deleted) return;
      deleted = true;
      for (const item of expiring) {
        await engine.doc.send(
          new DeleteCommand({ TableName: tableName, Key: { tenant_id: item.tenant_id, sk: item.sk } }),
        );
      }
    });
    const report = await finishVerification({ doc: engine.doc, start, segments, sampleSize: 100 });

    expect(deleted).toBe(true);
    expect(report).toMatchObject({ ok: true, belongingItems: 60, indexedItems: 60, sampleFailureCount: 0 });
    expect(report.sampled).toBe(60);
  });

  it('does not count a sampled item the API deleted after it was sampled as a failure', async () => {
    const tableName = await backfilledTable(30);
    const start = await begin(tableName, 1, 30);
    const { segments } = await verifyAllSegments(start, 1, { timeBudgetMs: 60_000 });
    // Deleted from the index only, as a GSI lags its table: the item is gone from the table by the time it is checked.
    const [gone] = segments[0]?.sample ?? [];
    if (!gone) throw new Error('expected a sampled item');
    await engine.doc.send(new DeleteCommand({ TableName: tableName, Key: { tenant_id: gone.tenantId, sk: gone.sk } }));

    const report = await finishVerification({
      doc: engine.doc,
      start,
      segments: segments.map((segment) => ({ ...segment, indexedItems: segment.indexedItems })),
      sampleSize: 30,
    });

    expect(report).toMatchObject({ sampled: 30, sampleFailureCount: 0, sampleFailures: [], ok: true });
  });

  it('lists at most 20 sample failures but counts them all, so a broken index still fits in the payload', async () => {
    const tableName = await backfilledTable(50);
    const start = await begin(tableName, 1, 50);
    const { segments } = await verifyAllSegments(start, 1, { timeBudgetMs: 60_000 });
    // Sampled items that the index cannot return: their event ids point nowhere.
    const broken = segments.map((segment) => ({
      ...segment,
      sample: segment.sample.map((item) => ({ ...item, derived: { event_id: `missing-${item.derived.event_id}` } })),
    }));

    const report = await finishVerification({ doc: engine.doc, start, segments: broken, sampleSize: 50 });

    expect(report).toMatchObject({ ok: false, recount: false, sampled: 50, sampleFailureCount: 50 });
    expect(report.sampleFailures).toHaveLength(20);
  });

  it("keeps each segment's sample within its share of the payload in bytes, whatever the key sizes", async () => {
    const tableName = await backfilledTable(5);
    // A legacy tenant with a 1,500-byte partition key.
    const tenant = 't'.repeat(1500);
    await seedLegacyEvents(engine.doc, { tableName, count: 200, tenants: [tenant] });
    await runBackfill(engine.doc, tableName, { totalSegments: 1, timeBudgetMs: 60_000, maxWritesPerSecond: 100_000 });
    const totalSegments = 4;
    const start = await begin(tableName, totalSegments, 1000);

    const { segments } = await verifyAllSegments(start, totalSegments, { timeBudgetMs: 1, pageSize: 15 });

    const bytes = segments.map((segment) => Buffer.byteLength(JSON.stringify(segment.sample)));
    expect(Math.max(...bytes)).toBeLessThanOrEqual(SAMPLE_BYTES_IN_PAYLOAD / totalSegments);
    // The tenant's one partition key puts all its items in one segment: that segment's share bounds them.
    expect(segments.reduce((total, segment) => total + segment.sample.length, 0)).toBeGreaterThan(10);
    const report = await finishVerification({ doc: engine.doc, start, segments, sampleSize: 1000 });
    expect(report).toMatchObject({ ok: true, belongingItems: 205 });
    expect(Buffer.byteLength(JSON.stringify(report))).toBeLessThan(8 * 1024);
  });

  it('stops as in doubt (VerificationTooSlowError) once past its deadline, instead of reporting what TTL may have changed', async () => {
    const tableName = await backfilledTable(10);
    let clock = Date.now();
    const now = () => clock;
    const start = await startVerification({
      client: engine.client,
      tableName,
      settleMs: 0,
      totalSegments: 1,
      sampleSize: 5,
      ttlMarginSeconds: 3600,
      now,
    });
    const { segments } = await verifyAllSegments(start, 1, { timeBudgetMs: 60_000, now });
    clock += 3600 * 1000;

    await expect(finishVerification({ doc: engine.doc, start, segments, sampleSize: 5, now })).rejects.toBeInstanceOf(
      VerificationTooSlowError,
    );
    await expect(
      verifySegment({
        doc: engine.doc,
        state: { ...start, segment: 0, totalSegments: 1, sampleSize: 5 },
        timeBudgetMs: 60_000,
        now,
      }),
    ).rejects.toThrow(/ran past its deadline .* The index is kept/);
  });

  it('counts in the index exactly what it counts in the table, expiry types included', async () => {
    const tableName = await backfilledTable(10);
    // expires_at of a type TTL ignores (a string) never expires: counted on both sides.
    const { Items = [] } = await engine.doc.send(
      new ScanCommand({ TableName: tableName, Limit: 1, FilterExpression: 'attribute_exists(event_id)' }),
    );
    const [item] = Items;
    if (!item) throw new Error('expected an item');
    await engine.doc.send(new PutCommand({ TableName: tableName, Item: { ...item, expires_at: 'never' } }));
    const start = await begin(tableName, 1, 5);
    const { segments } = await verifyAllSegments(start, 1, { timeBudgetMs: 60_000 });
    const report = await finishVerification({ doc: engine.doc, start, segments, sampleSize: 5 });
    expect(report).toMatchObject({ ok: true, belongingItems: 10, indexedItems: 10 });
  });
});
