import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  UpdateTableCommand,
  type AttributeValue,
  type GlobalSecondaryIndexUpdate,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import {
  applyOnlineIndexExtension,
  startDynaliteServer,
  type DynaliteServerOptions,
  type RunningDynalite,
} from '../src/online-index/index';

// Long enough for a few local requests to land while an index is still CREATING or DELETING.
const OBSERVABLE_MS = 2000;
const INDEX = 'event-id-index';
const item = (pk: string, eventId?: AttributeValue): Record<string, AttributeValue> => ({
  pk: { S: pk },
  source: { S: 'test' },
  ...(eventId && { event_id: eventId }),
});
const LEGACY_ITEMS = [
  item('indexed-1', { S: 'id-1' }),
  item('indexed-2', { S: 'id-2' }),
  item('indexed-3', { S: 'id-3' }),
  item('missing-1'),
  item('missing-2'),
  item('mistyped-number', { N: '42' }),
  item('mistyped-bool', { BOOL: true }),
];

interface Engine {
  server: RunningDynalite;
  client: DynamoDBClient;
}

async function startEngine(options: DynaliteServerOptions): Promise<Engine> {
  const server = await startDynaliteServer({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...options });
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${server.port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    // The SDK retries LimitExceededException as throttling; these tests want the first answer.
    maxAttempts: 1,
  });
  return { server, client };
}

async function stopEngine({ server, client }: Engine): Promise<void> {
  client.destroy();
  await server.close();
}

let tableCount = 0;

/** Creates an on-demand table holding `items`, optionally with the event-id index from the start. */
async function createTable(
  client: DynamoDBClient,
  items: Record<string, AttributeValue>[],
  withIndex = false,
): Promise<string> {
  const tableName = `events-${++tableCount}`;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        ...(withIndex ? [{ AttributeName: 'event_id', AttributeType: 'S' as const }] : []),
      ],
      ...(withIndex && {
        GlobalSecondaryIndexes: [
          {
            IndexName: INDEX,
            KeySchema: [{ AttributeName: 'event_id', KeyType: 'HASH' }],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    }),
  );
  await waitForTable(client, tableName, (table) => table.TableStatus === 'ACTIVE');
  for (const Item of items) await client.send(new PutItemCommand({ TableName: tableName, Item }));
  return tableName;
}

const createIndex = (indexName = INDEX, attribute = 'event_id'): GlobalSecondaryIndexUpdate => ({
  Create: {
    IndexName: indexName,
    KeySchema: [{ AttributeName: attribute, KeyType: 'HASH' }],
    Projection: { ProjectionType: 'ALL' },
  },
});

function addIndex(client: DynamoDBClient, tableName: string, indexName = INDEX, attribute = 'event_id') {
  return client.send(
    new UpdateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: attribute, AttributeType: 'S' }],
      GlobalSecondaryIndexUpdates: [createIndex(indexName, attribute)],
    }),
  );
}

function deleteIndex(client: DynamoDBClient, tableName: string, indexName = INDEX) {
  return client.send(
    new UpdateTableCommand({
      TableName: tableName,
      GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: indexName } }],
    }),
  );
}

async function describeTable(client: DynamoDBClient, tableName: string): Promise<TableDescription> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  if (!Table) throw new Error(`DescribeTable returned no table for ${tableName}`);
  return Table;
}

/** Polls DescribeTable until `reached` holds, within a bounded number of attempts. */
async function waitForTable(
  client: DynamoDBClient,
  tableName: string,
  reached: (table: TableDescription) => boolean,
): Promise<TableDescription> {
  for (let attempt = 0; attempt < 400; attempt++) {
    const table = await describeTable(client, tableName);
    if (reached(table)) return table;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`Table ${tableName} did not reach the expected state`);
}

const indexOf = (table: TableDescription, indexName = INDEX) =>
  table.GlobalSecondaryIndexes?.find((index) => index.IndexName === indexName);
const isActiveWithIndex = (table: TableDescription) =>
  table.TableStatus === 'ACTIVE' && indexOf(table)?.IndexStatus === 'ACTIVE';
const isActiveWithoutIndex = (table: TableDescription) => table.TableStatus === 'ACTIVE' && !indexOf(table);

async function indexedKeys(client: DynamoDBClient, tableName: string, indexName = INDEX): Promise<string[]> {
  const { Items = [] } = await client.send(new ScanCommand({ TableName: tableName, IndexName: indexName }));
  return Items.map((entry) => entry.pk?.S ?? '').sort();
}

function queryByEventId(client: DynamoDBClient, tableName: string, eventId: string) {
  return client.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: INDEX,
      KeyConditionExpression: 'event_id = :id',
      ExpressionAttributeValues: { ':id': { S: eventId } },
    }),
  );
}

describe('dynalite online index extension', () => {
  let observable: Engine;
  let quick: Engine;

  beforeAll(async () => {
    observable = await startEngine({ indexCreateMs: OBSERVABLE_MS, indexDeleteMs: OBSERVABLE_MS });
    quick = await startEngine({ indexCreateMs: 10, indexDeleteMs: 10 });
  });

  afterAll(async () => {
    await Promise.all([stopEngine(observable), stopEngine(quick)]);
  });

  test('can be applied again once dynalite is loaded', () => {
    expect(() => applyOnlineIndexExtension()).not.toThrow();
  });

  describe('creating an index on an existing table', () => {
    test('reports the index CREATING and Backfilling, the table UPDATING, with the new attribute defined', async () => {
      const { client } = observable;
      const tableName = await createTable(client, LEGACY_ITEMS);

      const { TableDescription: response } = await addIndex(client, tableName);
      const described = await describeTable(client, tableName);

      for (const table of [response, described]) {
        expect(table?.TableStatus).toBe('UPDATING');
        expect(table && indexOf(table)).toMatchObject({ IndexStatus: 'CREATING', Backfilling: true });
        expect(table?.AttributeDefinitions).toEqual(
          expect.arrayContaining([{ AttributeName: 'event_id', AttributeType: 'S' }]),
        );
      }
    });

    test('rejects queries and scans on the index while it is backfilling', async () => {
      const { client } = observable;
      const tableName = await createTable(client, LEGACY_ITEMS);
      await addIndex(client, tableName);

      const backfilling = {
        name: 'ValidationException',
        message: `Cannot read from backfilling global secondary index: ${INDEX}`,
      };
      await expect(queryByEventId(client, tableName, 'id-1')).rejects.toMatchObject(backfilling);
      await expect(indexedKeys(client, tableName)).rejects.toMatchObject(backfilling);
    });

    test('rejects any further UpdateTable while the index is being created', async () => {
      const { client } = observable;
      const tableName = await createTable(client, LEGACY_ITEMS);
      await addIndex(client, tableName);

      await expect(addIndex(client, tableName, 'source-index', 'source')).rejects.toMatchObject({
        name: 'ResourceInUseException',
      });
      await expect(
        client.send(
          new UpdateTableCommand({
            TableName: tableName,
            BillingMode: 'PROVISIONED',
            ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 },
          }),
        ),
      ).rejects.toMatchObject({ name: 'ResourceInUseException' });
    });

    test('indexes existing and newly written items whose key has the declared type, then becomes ACTIVE', async () => {
      const { client } = observable;
      const tableName = await createTable(client, LEGACY_ITEMS);

      await addIndex(client, tableName);
      await client.send(
        new PutItemCommand({ TableName: tableName, Item: item('written-while-creating', { S: 'id-4' }) }),
      );
      await client.send(new DeleteItemCommand({ TableName: tableName, Key: { pk: { S: 'indexed-3' } } }));
      const whileWriting = await describeTable(client, tableName);
      const table = await waitForTable(client, tableName, isActiveWithIndex);

      expect(indexOf(whileWriting)?.IndexStatus).toBe('CREATING');
      expect(indexOf(table)?.Backfilling).toBeUndefined();
      expect(await indexedKeys(client, tableName)).toEqual(['indexed-1', 'indexed-2', 'written-while-creating']);
      const { Items } = await queryByEventId(client, tableName, 'id-4');
      expect(Items).toEqual([item('written-while-creating', { S: 'id-4' })]);
    });

    test('keeps items with a mistyped index key updatable and deletable, and out of the index', async () => {
      const { client } = quick;
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

    test.each<[string, GlobalSecondaryIndexUpdate[]]>([
      ['two creations', [createIndex('first-index'), createIndex('second-index')]],
      ['two deletions', [{ Delete: { IndexName: 'first-index' } }, { Delete: { IndexName: 'second-index' } }]],
      ['a creation and a deletion', [createIndex('first-index'), { Delete: { IndexName: 'second-index' } }]],
    ])('rejects %s in one request with LimitExceededException, as DynamoDB does', async (_name, updates) => {
      const { client } = quick;
      const tableName = await createTable(client, []);

      const request = client.send(
        new UpdateTableCommand({
          TableName: tableName,
          AttributeDefinitions: [{ AttributeName: 'event_id', AttributeType: 'S' }],
          GlobalSecondaryIndexUpdates: updates,
        }),
      );

      await expect(request).rejects.toMatchObject({
        name: 'LimitExceededException',
        message: 'Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table',
      });
    });

    test('rejects an index name that is already taken', async () => {
      const { client } = quick;
      const tableName = await createTable(client, [], true);

      await expect(addIndex(client, tableName)).rejects.toMatchObject({
        name: 'ValidationException',
        message: expect.stringContaining('already exists'),
      });
    });

    test('requires the key attributes of the new index in AttributeDefinitions', async () => {
      const { client } = quick;
      const tableName = await createTable(client, []);

      const request = client.send(
        new UpdateTableCommand({ TableName: tableName, GlobalSecondaryIndexUpdates: [createIndex()] }),
      );

      await expect(request).rejects.toMatchObject({
        name: 'ValidationException',
        message: expect.stringContaining('not defined in AttributeDefinitions'),
      });
      expect(indexOf(await describeTable(client, tableName))).toBeUndefined();
    });
  });

  describe('deleting an index', () => {
    test('reports the index DELETING, then removes it with its attribute definition; reads fail throughout', async () => {
      const { client } = observable;
      const tableName = await createTable(client, LEGACY_ITEMS.slice(0, 3), true);

      const { TableDescription: response } = await deleteIndex(client, tableName);
      const readWhileDeleting: unknown = await queryByEventId(client, tableName, 'id-1').catch(
        (error: unknown) => error,
      );
      const table = await waitForTable(client, tableName, isActiveWithoutIndex);

      expect(response?.TableStatus).toBe('UPDATING');
      expect(response && indexOf(response)?.IndexStatus).toBe('DELETING');
      expect(readWhileDeleting).toMatchObject({ name: 'ValidationException' });
      await expect(queryByEventId(client, tableName, 'id-1')).rejects.toMatchObject({
        name: 'ValidationException',
        message: `The table does not have the specified index: ${INDEX}`,
      });
      expect(table.AttributeDefinitions).toEqual([{ AttributeName: 'pk', AttributeType: 'S' }]);
    });

    test('deletes an index that is still backfilling, which is how a failed creation is rolled back', async () => {
      const { client } = observable;
      const tableName = await createTable(client, LEGACY_ITEMS);
      await addIndex(client, tableName);

      const { TableDescription: response } = await deleteIndex(client, tableName);
      const table = await waitForTable(client, tableName, isActiveWithoutIndex);

      expect(response && indexOf(response)?.IndexStatus).toBe('DELETING');
      expect(table.GlobalSecondaryIndexes).toBeUndefined();
    });

    test('drops the index data, so an index re-created under the same name holds only current items', async () => {
      const { client } = quick;
      const tableName = await createTable(client, LEGACY_ITEMS.slice(0, 3), true);
      await deleteIndex(client, tableName);
      await waitForTable(client, tableName, isActiveWithoutIndex);
      await client.send(new DeleteItemCommand({ TableName: tableName, Key: { pk: { S: 'indexed-1' } } }));

      await addIndex(client, tableName);
      await waitForTable(client, tableName, isActiveWithIndex);

      expect(await indexedKeys(client, tableName)).toEqual(['indexed-2', 'indexed-3']);
    });

    test('fails with ResourceNotFoundException for an index that does not exist', async () => {
      const { client } = quick;
      const tableName = await createTable(client, []);

      await expect(deleteIndex(client, tableName, 'no-such-index')).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
      });
    });
  });

  describe('with an on-disk store', () => {
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
