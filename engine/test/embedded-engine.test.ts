import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { startEmbeddedEngine, type EmbeddedEngine, type EmbeddedEngineOptions } from '../src/embedded-engine';

const TABLE = 'triggers-api-events';

function clientFor(engine: EmbeddedEngine): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: engine.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}

async function withClient<T>(engine: EmbeddedEngine, use: (client: DynamoDBClient) => Promise<T>): Promise<T> {
  const client = clientFor(engine);
  try {
    return await use(client);
  } finally {
    client.destroy();
  }
}

async function createTableWithItem(client: DynamoDBClient): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    }),
  );
  // As on AWS, a new table is CREATING until its status is written: wait for ACTIVE (a bounded poll).
  for (let attempt = 0; attempt < 200; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: TABLE }));
    if (Table?.TableStatus === 'ACTIVE') break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'acme' }, note: { S: 'kept' } } }));
}

async function readItem(client: DynamoDBClient) {
  const { Item } = await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'acme' } } }));
  return Item;
}

/** True when something accepts TCP connections on the loopback port. */
function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitUntilClosed(port: number): Promise<boolean> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (!(await isListening(port))) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return false;
}

function occupyPort(): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

describe('startEmbeddedEngine', () => {
  test('serves DynamoDB requests from a child process until closed', async () => {
    const engine = await startEmbeddedEngine({ port: 0 });

    const item = await withClient(engine, async (client) => {
      await createTableWithItem(client);
      return readItem(client);
    }).finally(() => engine.close());

    expect(engine.endpoint).toBe(`http://127.0.0.1:${engine.port}`);
    expect(item).toEqual({ pk: { S: 'acme' }, note: { S: 'kept' } });
    expect(await isListening(engine.port)).toBe(false);
  });

  test.each<EmbeddedEngineOptions['mode']>(['child-process', 'in-process'])(
    'keeps tables and items in its data directory across restarts (%s)',
    async (mode) => {
      const dataDir = await mkdtemp(path.join(tmpdir(), 'embedded-engine-'));
      try {
        const first = await startEmbeddedEngine({ port: 0, mode, dataDir });
        await withClient(first, createTableWithItem).finally(() => first.close());

        const second = await startEmbeddedEngine({ port: 0, mode, dataDir });
        const item = await withClient(second, readItem).finally(() => second.close());

        expect(item).toEqual({ pk: { S: 'acme' }, note: { S: 'kept' } });
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    },
  );

  test('keeps nothing across restarts without a data directory', async () => {
    const first = await startEmbeddedEngine({ port: 0, mode: 'in-process' });
    await withClient(first, createTableWithItem).finally(() => first.close());

    const second = await startEmbeddedEngine({ port: 0, mode: 'in-process' });
    const { TableNames } = await withClient(second, (client) => client.send(new ListTablesCommand({}))).finally(() =>
      second.close(),
    );

    expect(TableNames).toEqual([]);
  });

  test.each<EmbeddedEngineOptions['mode']>(['child-process', 'in-process'])(
    'fails with a clear error when the port is already in use (%s)',
    async (mode) => {
      const occupant = await occupyPort();
      const { port } = occupant.address() as AddressInfo;
      try {
        await expect(startEmbeddedEngine({ port, mode })).rejects.toThrow(
          `Cannot start the embedded DynamoDB engine: 127.0.0.1:${port} is already in use`,
        );
      } finally {
        occupant.close();
      }
    },
  );

  test('fails with a clear error when another engine process holds the data directory', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'embedded-engine-'));
    const holder = await startEmbeddedEngine({ port: 0, dataDir });
    try {
      await expect(startEmbeddedEngine({ port: 0, dataDir })).rejects.toThrow(
        `Cannot start the embedded DynamoDB engine: data directory ${dataDir} cannot be opened`,
      );
    } finally {
      await holder.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test('ignores SIGTERM and SIGINT while its parent is connected: the parent stops it after draining', async () => {
    const engine = await startEmbeddedEngine({ port: 0 });
    try {
      process.kill(engine.pid, 'SIGTERM');
      process.kill(engine.pid, 'SIGINT');
      await new Promise((resolve) => setTimeout(resolve, 300));

      expect(await isListening(engine.port)).toBe(true);
    } finally {
      await engine.close();
    }
    expect(await engine.exited).toEqual({ code: 0, signal: null });
    expect(await isListening(engine.port)).toBe(false);
  });

  test('stops the engine process when its parent exits without closing it', async () => {
    // A parent that starts an engine, prints its port and exits at once.
    const parentScript = `
      require(${JSON.stringify(require.resolve('../src/embedded-engine'))})
        .startEmbeddedEngine({ port: 0 })
        .then((engine) => { process.stdout.write(String(engine.port)); process.exit(0); });
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--eval', parentScript], {
      cwd: path.resolve(__dirname, '../..'),
    });

    expect(await waitUntilClosed(Number(stdout))).toBe(true);
  });
});
