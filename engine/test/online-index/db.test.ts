import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeleteItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  addIndex,
  INDEX,
  createTable,
  indexedKeys,
  isActiveWithIndex,
  item,
  LEGACY_ITEMS,
  queryByEventId,
  startEngine,
  stopEngine,
  useEngines,
  waitForTable,
} from './support';

// The db module's replaced functions (db.ts): queryTable, updateIndexes and create, on the real engine.
describe('dynalite db patches', () => {
  const engines = useEngines();

  test('rejects queries and scans on the index while it is backfilling', async () => {
    const { client } = engines.observable();
    const tableName = await createTable(client, LEGACY_ITEMS);
    await addIndex(client, tableName);

    const backfilling = {
      name: 'ValidationException',
      message: `Cannot read from backfilling global secondary index: ${INDEX}`,
    };
    await expect(queryByEventId(client, tableName, 'id-1')).rejects.toMatchObject(backfilling);
    await expect(indexedKeys(client, tableName)).rejects.toMatchObject(backfilling);
  });

  test('keeps items with a mistyped index key updatable and deletable, and out of the index', async () => {
    const { client } = engines.quick();
    const tableName = await createTable(client, LEGACY_ITEMS);
    await addIndex(client, tableName);
    await waitForTable(client, tableName, isActiveWithIndex);

    await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { pk: { S: 'mistyped-number' } },
        UpdateExpression: 'SET #source = :source',
        ExpressionAttributeNames: { '#source': 'source' },
        ExpressionAttributeValues: { ':source': { S: 'updated' } },
      }),
    );
    await client.send(new DeleteItemCommand({ TableName: tableName, Key: { pk: { S: 'mistyped-bool' } } }));

    expect(await indexedKeys(client, tableName)).toEqual(['indexed-1', 'indexed-2', 'indexed-3']);
    await expect(
      client.send(new PutItemCommand({ TableName: tableName, Item: item('new-mistyped', { N: '7' }) })),
    ).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining('Type mismatch') });
  });

  describe('create, with an on-disk store', () => {
    let dataDir: string;

    beforeEach(async () => {
      dataDir = await mkdtemp(path.join(tmpdir(), 'dynalite-online-index-'));
    });

    afterEach(async () => {
      await rm(dataDir, { recursive: true, force: true });
    });

    test('finishes an index build that a restart interrupted', async () => {
      const interrupted = await startEngine({ path: dataDir, indexCreateMs: 60_000 });
      const tableName = await createTable(interrupted.client, LEGACY_ITEMS);
      await addIndex(interrupted.client, tableName);
      await stopEngine(interrupted);

      const restarted = await startEngine({ path: dataDir, indexCreateMs: 10 });
      try {
        await waitForTable(restarted.client, tableName, isActiveWithIndex);

        expect(await indexedKeys(restarted.client, tableName)).toEqual(['indexed-1', 'indexed-2', 'indexed-3']);
      } finally {
        await stopEngine(restarted);
      }
    });
  });
});
