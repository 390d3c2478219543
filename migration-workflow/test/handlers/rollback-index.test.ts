import { readEventIdIndexState } from '../../../api/src/store/event-id-index-control';
import { markVerified } from '../../src/handlers/mark-verified';
import { rollbackIndex } from '../../src/handlers/rollback-index';
import {
  addEventIdIndex,
  createLegacyTable,
  startTestEngine,
  waitForIndex,
  type TestEngine,
} from './support/legacy-table';

let engine: TestEngine;

beforeAll(async () => {
  engine = await startTestEngine();
});

afterAll(async () => {
  await engine.stop();
});

describe('rollbackIndex', () => {
  it('deletes the event-id-index so the table is back to its legacy shape', async () => {
    const { tableName } = await createLegacyTable(engine.client, engine.doc, 10);
    await addEventIdIndex(engine.client, tableName);

    const result = await rollbackIndex({ client: engine.client, tableName });

    expect(result).toEqual({ tableName, indexName: 'event-id-index', outcome: 'deleting' });
    await waitForIndex(engine.client, tableName, (status) => status === undefined);
    expect(await readEventIdIndexState(engine.client, engine.doc, tableName)).toBe('absent');
  });

  it('succeeds without a request when the index is already gone', async () => {
    const { tableName } = await createLegacyTable(engine.client, engine.doc, 10);

    const result = await rollbackIndex({ client: engine.client, tableName });

    expect(result.outcome).toBe('absent');
  });
});

describe('markVerified', () => {
  it('records the index as verified so the API trusts it without a restart', async () => {
    const { tableName } = await createLegacyTable(engine.client, engine.doc, 10);
    await addEventIdIndex(engine.client, tableName);
    expect(await readEventIdIndexState(engine.client, engine.doc, tableName)).toBe('unverified');
    const now = new Date('2025-01-02T03:04:05.000Z');

    const result = await markVerified({ doc: engine.doc, tableName, verifiedBy: 'execution-1', now });

    expect(result).toEqual({
      tableName,
      indexName: 'event-id-index',
      verifiedAt: '2025-01-02T03:04:05.000Z',
      verifiedBy: 'execution-1',
    });
    expect(await readEventIdIndexState(engine.client, engine.doc, tableName)).toBe('verified');
  });
});
