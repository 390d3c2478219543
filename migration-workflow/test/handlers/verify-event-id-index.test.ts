import { UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import { IndexNotActiveError, IndexNotFoundError, TableNotFoundError } from '../../src/errors';
import { createEventIdIndexRequest } from '../../src/handlers/create-index-request';
import { rollbackIndex } from '../../src/handlers/rollback-index';
import { verifyEventIdIndex } from '../../src/handlers/verify-event-id-index';
import {
  addEventIdIndex,
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

describe('verifyEventIdIndex', () => {
  it('reports ok once every legacy event is backfilled and found through the index', async () => {
    const { tableName, events } = await createLegacyTable(engine.client, engine.doc, 300);
    await addEventIdIndex(engine.client, tableName);
    await runBackfill(engine.doc, tableName, { totalSegments: 4, timeBudgetMs: 200, maxWritesPerSecond: 100 });

    const report = await verifyEventIdIndex({
      doc: engine.doc,
      client: engine.client,
      tableName,
      sampleSize: 25,
      random: seededRandom(7),
    });

    expect(report).toEqual({
      tableName,
      indexName: 'event-id-index',
      eventItems: events.length,
      indexedItems: events.length,
      missingEventId: 0,
      sampled: 25,
      sampleFailures: [],
      ok: true,
    });
  });

  it('reports not ok with the missing count before the backfill', async () => {
    const { tableName, events } = await createLegacyTable(engine.client, engine.doc, 60);
    await addEventIdIndex(engine.client, tableName);

    const report = await verifyEventIdIndex({ doc: engine.doc, client: engine.client, tableName, sampleSize: 10 });

    expect(report).toMatchObject({
      eventItems: events.length,
      indexedItems: 0,
      missingEventId: events.length,
      sampled: 0,
      ok: false,
    });
  });

  it('fails with IndexNotFoundError when the table has no event-id-index', async () => {
    const { tableName } = await createLegacyTable(engine.client, engine.doc, 5);

    const call = verifyEventIdIndex({ doc: engine.doc, client: engine.client, tableName, sampleSize: 1 });

    await expect(call).rejects.toThrow(IndexNotFoundError);
  });

  it('fails with TableNotFoundError when the table does not exist', async () => {
    const call = verifyEventIdIndex({
      doc: engine.doc,
      client: engine.client,
      tableName: 'no-such-table',
      sampleSize: 1,
    });

    await expect(call).rejects.toThrow(TableNotFoundError);
  });
});

describe('verifyEventIdIndex on an index still being created', () => {
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

    const call = verifyEventIdIndex({ doc: slowEngine.doc, client: slowEngine.client, tableName, sampleSize: 1 });

    await expect(call).rejects.toThrow(IndexNotActiveError);
    await expect(call).rejects.toThrow(/is CREATING, not ACTIVE/);
    await rollbackIndex({ client: slowEngine.client, tableName });
    await waitForIndex(slowEngine.client, tableName, (status) => status === undefined);
  });
});
