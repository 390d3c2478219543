import { randomUUID } from 'node:crypto';
import { UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { EventItem } from '../../../api/src/store/event-item';
import {
  IndexNotActiveError,
  IndexNotFoundError,
  InvalidMigrationInputError,
  TableNotFoundError,
} from '../../src/errors';
import { createEventIdIndexRequest } from '../../../contract/event-id-index-request';
import {
  EVENT_ID_INDEX,
  INBOX_SOURCE_INDEX,
  inboxFilterKey,
  PENDING_ONLY_ATTRIBUTES,
} from '../../../contract/table-schemas';
import { verifyIndex } from '../../src/handlers/verify-index';
import { finishVerification, startVerification, verifySegment } from '../../src/handlers/verify-segments';
import {
  addEventIdIndex,
  addIndex,
  createLegacyTable,
  startTestEngine,
  waitForIndex,
  type TestEngine,
} from './support/legacy-table';
import { runBackfill } from './support/run-backfill';

let engine: TestEngine;

beforeAll(async () => {
  engine = await startTestEngine();
});

afterAll(async () => {
  await engine.stop();
});

/** A deterministic stand-in for Math.random. */
function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('verifyIndex', () => {
  it('reports ok once every legacy event is backfilled and found through the index', async () => {
    const { tableName, events } = await createLegacyTable(engine.client, engine.doc, 300);
    await addEventIdIndex(engine.client, tableName);
    await runBackfill(engine.doc, tableName, { totalSegments: 4, timeBudgetMs: 200, maxWritesPerSecond: 100 });

    const report = await verifyIndex({
      doc: engine.doc,
      client: engine.client,
      tableName,
      sampleSize: 25,
      random: seededRandom(7),
      settleMs: 0,
    });

    expect(report).toEqual({
      tableName,
      indexName: 'event-id-index',
      membership: 'permanent',
      countsMustAgree: true,
      countedBefore: expect.any(String),
      belongingItems: events.length,
      indexedItems: events.length,
      countedExpiringAfter: expect.any(Number),
      countAttempts: 1,
      missingDerived: 0,
      wrongDerived: 0,
      underivable: 0,
      strayDerived: 0,
      sampled: 25,
      sampleFailureCount: 0,
      sampleFailures: [],
      ok: true,
    });
  });

  it('reports not ok with the missing count before the backfill, without counting again (more counts cannot fix it)', async () => {
    const { tableName, events } = await createLegacyTable(engine.client, engine.doc, 60);
    await addEventIdIndex(engine.client, tableName);

    const naps: number[] = [];
    const report = await verifyIndex({
      doc: engine.doc,
      client: engine.client,
      tableName,
      sampleSize: 10,
      settleMs: 0,
      sleep: (ms) => {
        naps.push(ms);
        return Promise.resolve();
      },
    });

    expect(naps).toEqual([]);
    expect(report).toMatchObject({
      belongingItems: events.length,
      indexedItems: 0,
      countAttempts: 1,
      missingDerived: events.length,
      sampled: 0,
      ok: false,
    });
  });

  it('counts only events older than the settle time, so events the API writes meanwhile do not count', async () => {
    const { tableName, events } = await createLegacyTable(engine.client, engine.doc, 40);
    await addEventIdIndex(engine.client, tableName);
    await runBackfill(engine.doc, tableName, { totalSegments: 2, timeBudgetMs: 200, maxWritesPerSecond: 1000 });
    // An item written just now and not in the index.
    const now = Date.now();
    await engine.doc.send(
      new PutCommand({
        TableName: tableName,
        Item: { tenant_id: 'tenant-a', sk: `EVENT#${new Date(now).toISOString()}#${randomUUID()}` },
      }),
    );
    const youngest = Math.max(...events.map((e) => Date.parse(String(e.created_at))));

    const report = await verifyIndex({
      doc: engine.doc,
      client: engine.client,
      tableName,
      sampleSize: 5,
      settleMs: now - youngest - 1,
      now: () => now,
    });

    expect(report).toMatchObject({ belongingItems: events.length, indexedItems: events.length, countAttempts: 1 });
    // Items without a string event_id are reported whatever their age.
    expect(report.missingDerived).toBe(1);
  });

  it('counts again after the settle time when an event deleted between the two counts makes them disagree', async () => {
    const { tableName, events } = await createLegacyTable(engine.client, engine.doc, 30);
    await addEventIdIndex(engine.client, tableName);
    await runBackfill(engine.doc, tableName, { totalSegments: 2, timeBudgetMs: 200, maxWritesPerSecond: 1000 });
    // The API deletes an event after the table was counted and before the index is: a double around the
    // real client that deletes it just before the first index scan.
    const [victim] = events;
    if (!victim) throw new Error('expected events');
    let deleted = false;
    const racing = {
      send: async (command: Parameters<typeof engine.doc.send>[0]) => {
        if (!deleted && command instanceof ScanCommand && command.input.IndexName) {
          deleted = true;
          await engine.doc.send(
            new DeleteCommand({ TableName: tableName, Key: { tenant_id: victim.tenant_id, sk: victim.sk } }),
          );
        }
        return engine.doc.send(command as never);
      },
    } as unknown as typeof engine.doc;
    const naps: number[] = [];

    const report = await verifyIndex({
      doc: racing,
      client: engine.client,
      tableName,
      sampleSize: 5,
      settleMs: 0,
      sleep: (ms) => {
        naps.push(ms);
        return Promise.resolve();
      },
    });

    expect(deleted).toBe(true);
    expect(naps).toEqual([0]);
    expect(report).toMatchObject({
      belongingItems: events.length - 1,
      indexedItems: events.length - 1,
      countAttempts: 2,
      ok: true,
    });
  });

  it('fails with IndexNotFoundError when the table has no event-id-index', async () => {
    const { tableName } = await createLegacyTable(engine.client, engine.doc, 5);

    const call = verifyIndex({ doc: engine.doc, client: engine.client, tableName, sampleSize: 1 });

    await expect(call).rejects.toThrow(IndexNotFoundError);
  });

  it('fails with TableNotFoundError when the table does not exist', async () => {
    const call = verifyIndex({
      doc: engine.doc,
      client: engine.client,
      tableName: 'no-such-table',
      sampleSize: 1,
    });

    await expect(call).rejects.toThrow(TableNotFoundError);
  });
});

describe('verifyIndex on an index still being created', () => {
  let slowEngine: TestEngine;

  beforeAll(async () => {
    slowEngine = await startTestEngine({ indexCreateMs: 60_000 });
  });

  afterAll(async () => {
    await slowEngine.stop();
  });

  it('fails with IndexNotActiveError naming the index status', async () => {
    const { tableName } = await createLegacyTable(slowEngine.client, slowEngine.doc, 5);
    await slowEngine.client.send(new UpdateTableCommand(createEventIdIndexRequest(tableName)));

    const call = verifyIndex({ doc: slowEngine.doc, client: slowEngine.client, tableName, sampleSize: 1 });

    await expect(call).rejects.toThrow(IndexNotActiveError);
    await expect(call).rejects.toThrow(/is CREATING, not ACTIVE/);
    await slowEngine.client.send(
      new UpdateTableCommand({
        TableName: tableName,
        GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: 'event-id-index' } }],
      }),
    );
    await waitForIndex(slowEngine.client, tableName, (status) => status === undefined);
  });
});

describe('verifyIndex for an inbox filter index', () => {
  async function backfilledFilterTable(count: number): Promise<{ tableName: string; pending: EventItem[] }> {
    const { tableName, events } = await createLegacyTable(engine.client, engine.doc, count);
    await addIndex(engine.client, tableName, INBOX_SOURCE_INDEX);
    await runBackfill(engine.doc, tableName, {
      indexName: INBOX_SOURCE_INDEX,
      totalSegments: 2,
      timeBudgetMs: 60_000,
      maxWritesPerSecond: 10_000,
    });
    return { tableName, pending: events.filter((event) => event.inbox_pk !== undefined) };
  }

  const verify = (tableName: string) =>
    verifyIndex({
      doc: engine.doc,
      client: engine.client,
      tableName,
      indexName: INBOX_SOURCE_INDEX,
      sampleSize: 25,
      random: seededRandom(3),
      settleMs: 0,
      sleep: () => Promise.resolve(),
    });

  const setSourceKey = (tableName: string, event: EventItem, value: string) =>
    engine.doc.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { tenant_id: event.tenant_id, sk: event.sk },
        UpdateExpression: 'SET inbox_source_pk = :key',
        ExpressionAttributeValues: { ':key': value },
      }),
    );

  it('reports ok once every pending event carries its key, counting pending events only, counts reported not compared', async () => {
    const { tableName, pending } = await backfilledFilterTable(80);

    const report = await verify(tableName);

    expect(report).toMatchObject({
      indexName: INBOX_SOURCE_INDEX,
      membership: 'while-pending',
      countsMustAgree: false,
      belongingItems: pending.length,
      indexedItems: pending.length,
      missingDerived: 0,
      wrongDerived: 0,
      underivable: 0,
      strayDerived: 0,
      sampled: 25,
      sampleFailureCount: 0,
      ok: true,
    });
  });

  it('fails when a pending event lacks its key', async () => {
    const { tableName, pending } = await backfilledFilterTable(40);
    const [event] = pending;
    if (!event) throw new Error('a pending event expected');
    await engine.doc.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { tenant_id: event.tenant_id, sk: event.sk },
        UpdateExpression: 'REMOVE inbox_source_pk',
      }),
    );

    const report = await verify(tableName);

    expect(report).toMatchObject({ missingDerived: 1, wrongDerived: 0, ok: false, countAttempts: 1 });
  });

  it('fails when a pending event holds the key of another source (it would be listed under that filter)', async () => {
    const { tableName, pending } = await backfilledFilterTable(40);
    const [event] = pending;
    if (!event) throw new Error('a pending event expected');
    await setSourceKey(tableName, event, inboxFilterKey(event.tenant_id, `${event.source}-other`));

    const report = await verify(tableName);

    expect(report).toMatchObject({ missingDerived: 0, wrongDerived: 1, ok: false, countAttempts: 1 });
  });

  it('fails when an acknowledged event still carries a key (it would be listed in the inbox)', async () => {
    const { tableName, events } = await createLegacyTable(engine.client, engine.doc, 40);
    await addIndex(engine.client, tableName, INBOX_SOURCE_INDEX);
    await runBackfill(engine.doc, tableName, {
      indexName: INBOX_SOURCE_INDEX,
      totalSegments: 1,
      timeBudgetMs: 60_000,
      maxWritesPerSecond: 10_000,
    });
    const acknowledged = events.find((event) => event.inbox_pk === undefined);
    if (!acknowledged) throw new Error('an acknowledged event expected');
    await setSourceKey(tableName, acknowledged, inboxFilterKey(acknowledged.tenant_id, acknowledged.source));

    const report = await verify(tableName);

    expect(report).toMatchObject({ strayDerived: 1, ok: false });
  });

  it('does not fail on counts that disagree, which acknowledgements during the count cause, but does for event-id-index', async () => {
    const { tableName } = await backfilledFilterTable(30);
    const start = await startVerification({
      client: engine.client,
      tableName,
      indexName: INBOX_SOURCE_INDEX,
      settleMs: 0,
      totalSegments: 1,
      sampleSize: 0,
    });
    const segment = await verifySegment({
      doc: engine.doc,
      state: { ...start, segment: 0, totalSegments: 1, sampleSize: 0 },
      timeBudgetMs: 60_000,
    });
    // As if two events were acknowledged between the table's count and the index's.
    const acknowledgedMeanwhile = { ...segment, indexedItems: segment.indexedItems - 2 };

    const filterReport = await finishVerification({
      doc: engine.doc,
      start,
      segments: [acknowledgedMeanwhile],
      sampleSize: 0,
    });
    const eventIdReport = await finishVerification({
      doc: engine.doc,
      start: { ...start, indexName: EVENT_ID_INDEX },
      segments: [{ ...acknowledgedMeanwhile, indexName: EVENT_ID_INDEX }],
      sampleSize: 0,
    });

    expect(filterReport).toMatchObject({ ok: true, recount: false, indexedItems: segment.belongingItems - 2 });
    expect(eventIdReport).toMatchObject({ ok: false, recount: true });
  });

  it('does not count a sampled event acknowledged before its lookup as a failure', async () => {
    const { tableName, pending } = await backfilledFilterTable(40);
    const start = await startVerification({
      client: engine.client,
      tableName,
      indexName: INBOX_SOURCE_INDEX,
      settleMs: 0,
      totalSegments: 1,
      sampleSize: 1000,
    });
    const segment = await verifySegment({
      doc: engine.doc,
      state: { ...start, segment: 0, totalSegments: 1, sampleSize: 1000 },
      timeBudgetMs: 60_000,
    });
    const [event] = pending;
    if (!event) throw new Error('a pending event expected');
    await engine.doc.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { tenant_id: event.tenant_id, sk: event.sk },
        UpdateExpression: `SET #status = :acknowledged REMOVE ${PENDING_ONLY_ATTRIBUTES.join(', ')}`,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':acknowledged': 'acknowledged' },
      }),
    );

    const report = await finishVerification({ doc: engine.doc, start, segments: [segment], sampleSize: 1000 });

    expect(report.sampled).toBe(pending.length);
    expect(report).toMatchObject({ sampleFailureCount: 0, ok: true });
  });

  it('refuses an index the schema does not derive before reading the table', async () => {
    const call = verifyIndex({
      doc: engine.doc,
      client: engine.client,
      tableName: 'no-such-table',
      indexName: 'inbox-index',
      sampleSize: 1,
    });

    await expect(call).rejects.toThrow(InvalidMigrationInputError);
  });
});
