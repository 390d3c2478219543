import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateTableCommand,
  type AttributeValue,
  type GlobalSecondaryIndexUpdate,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { startDynaliteServer, type DynaliteServerOptions, type RunningDynalite } from '../../src/online-index/index';

/**
 * What the online index extension's tests share: engines, tables of legacy items, index requests, waits.
 * Each test file covers one of the extension's files (named after dynalite's) through the real engine.
 */

// Long enough for a few local requests to land while an index is still CREATING or DELETING.
export const OBSERVABLE_MS = 2000;
export const INDEX = 'event-id-index';
export const item = (pk: string, eventId?: AttributeValue): Record<string, AttributeValue> => ({
  pk: { S: pk },
  source: { S: 'test' },
  ...(eventId && { event_id: eventId }),
});
export const LEGACY_ITEMS = [
  item('indexed-1', { S: 'id-1' }),
  item('indexed-2', { S: 'id-2' }),
  item('indexed-3', { S: 'id-3' }),
  item('missing-1'),
  item('missing-2'),
  item('mistyped-number', { N: '42' }),
  item('mistyped-bool', { BOOL: true }),
];

export interface Engine {
  server: RunningDynalite;
  client: DynamoDBClient;
}

export async function startEngine(options: DynaliteServerOptions): Promise<Engine> {
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

export async function stopEngine({ server, client }: Engine): Promise<void> {
  client.destroy();
  await server.close();
}

let tableCount = 0;

/** Creates an on-demand table holding `items`, optionally with the event-id index from the start. */
export async function createTable(
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

export const createIndex = (indexName = INDEX, attribute = 'event_id'): GlobalSecondaryIndexUpdate => ({
  Create: {
    IndexName: indexName,
    KeySchema: [{ AttributeName: attribute, KeyType: 'HASH' }],
    Projection: { ProjectionType: 'ALL' },
  },
});

export function addIndex(client: DynamoDBClient, tableName: string, indexName = INDEX, attribute = 'event_id') {
  return client.send(
    new UpdateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: attribute, AttributeType: 'S' }],
      GlobalSecondaryIndexUpdates: [createIndex(indexName, attribute)],
    }),
  );
}

export function deleteIndex(client: DynamoDBClient, tableName: string, indexName = INDEX) {
  return client.send(
    new UpdateTableCommand({
      TableName: tableName,
      GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: indexName } }],
    }),
  );
}

export async function describeTable(client: DynamoDBClient, tableName: string): Promise<TableDescription> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  if (!Table) throw new Error(`DescribeTable returned no table for ${tableName}`);
  return Table;
}

/** Polls DescribeTable until `reached` holds, within a bounded number of attempts. */
export async function waitForTable(
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

export const indexOf = (table: TableDescription, indexName = INDEX) =>
  table.GlobalSecondaryIndexes?.find((index) => index.IndexName === indexName);
export const isActiveWithIndex = (table: TableDescription) =>
  table.TableStatus === 'ACTIVE' && indexOf(table)?.IndexStatus === 'ACTIVE';
export const isActiveWithoutIndex = (table: TableDescription) => table.TableStatus === 'ACTIVE' && !indexOf(table);

export async function indexedKeys(client: DynamoDBClient, tableName: string, indexName = INDEX): Promise<string[]> {
  const { Items = [] } = await client.send(new ScanCommand({ TableName: tableName, IndexName: indexName }));
  return Items.map((entry) => entry.pk?.S ?? '').sort();
}

export function queryByEventId(client: DynamoDBClient, tableName: string, eventId: string) {
  return client.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: INDEX,
      KeyConditionExpression: 'event_id = :id',
      ExpressionAttributeValues: { ':id': { S: eventId } },
    }),
  );
}

/** Engines for a test file: `observable` keeps index work going long enough to watch; `quick` finishes at once. */
export function useEngines(): { observable: () => Engine; quick: () => Engine } {
  let observable: Engine | undefined;
  let quick: Engine | undefined;
  beforeAll(async () => {
    observable = await startEngine({ indexCreateMs: OBSERVABLE_MS, indexDeleteMs: OBSERVABLE_MS });
    quick = await startEngine({ indexCreateMs: 10, indexDeleteMs: 10 });
  });
  afterAll(async () => {
    const started = [observable, quick].filter((engine): engine is Engine => engine !== undefined);
    await Promise.all(started.map(stopEngine));
  });
  const get = (engine: Engine | undefined): Engine => {
    if (!engine) throw new Error('the engines start in beforeAll');
    return engine;
  };
  return { observable: () => get(observable), quick: () => get(quick) };
}
