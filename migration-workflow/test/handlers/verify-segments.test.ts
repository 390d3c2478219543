import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { IndexNotActiveError } from '../../src/errors';
import {
  finishVerification,
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
  options: { timeBudgetMs: number; pageSize?: number },
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
          sampleSize: start.segmentSampleSize,
        },
        ...options,
      });
    } while (!state.done);
    segments.push(state);
  }
  return { segments, invocations };
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
    const start = await startVerification({
      client: engine.client,
      tableName,
      settleMs: 0,
      totalSegments: 3,
      sampleSize: 30,
    });

    const { segments, invocations } = await verifyAllSegments(start, 3, { timeBudgetMs: 1, pageSize: 20 });
    const report = await finishVerification({ doc: engine.doc, start, segments, sampleSize: 30 });

    expect(invocations).toBeGreaterThan(3 * 2);
    expect(report).toMatchObject({
      ok: true,
      recount: false,
      eventItems: 300,
      indexedItems: 300,
      missingEventId: 0,
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
      const start = await startVerification({
        client: engine.client,
        tableName,
        settleMs: 0,
        totalSegments,
        sampleSize,
      });
      expect(start.segmentSampleSize).toBe(expected);
    },
  );

  it('fails on an event it cannot find in the index, without asking to count again', async () => {
    const tableName = await backfilledTable(50);
    await engine.doc.send(
      new PutCommand({ TableName: tableName, Item: { tenant_id: 'tenant-a', sk: 'EVENT#broken' } }),
    );
    const start = await startVerification({
      client: engine.client,
      tableName,
      settleMs: 0,
      totalSegments: 2,
      sampleSize: 10,
    });

    const { segments } = await verifyAllSegments(start, 2, { timeBudgetMs: 60_000 });
    const report = await finishVerification({ doc: engine.doc, start, segments, sampleSize: 10 });

    expect(report).toMatchObject({ ok: false, recount: false, missingEventId: 1 });
  });

  it('asks to count again when only the counts disagree, until its attempts run out', async () => {
    const tableName = await backfilledTable(20);
    const start = await startVerification({
      client: engine.client,
      tableName,
      settleMs: 0,
      totalSegments: 1,
      sampleSize: 5,
    });
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
    await expect(
      startVerification({ client: engine.client, tableName, settleMs: 0, totalSegments: 1, sampleSize: 1 }),
    ).rejects.toThrow(/has no index/);
    await expect(
      finishVerification({
        doc: engine.doc,
        start: { tableName, indexName: 'event-id-index', countedBefore: '', countAttempts: 0, segmentSampleSize: 1 },
        segments: [{ done: false } as VerifySegmentState],
        sampleSize: 1,
      }),
    ).rejects.toBeInstanceOf(IndexNotActiveError);
  });
});
