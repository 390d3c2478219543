import { DescribeTableCommand, UpdateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { idempotencySortKey } from '../../../../contract/idempotency';
import { createDynamoDbClients, type DynamoDbClients } from '../../../../platform/dynamodb-client';
import { ensureTables } from '../../../../api/src/store/ensure-tables';
import { seedLegacyEvents } from '../../../../api/src/store/legacy-seed';
import { EVENT_ID_INDEX } from '../../../../contract/table-schemas';
import { startEmbeddedEngine, type EmbeddedEngine } from '../../../../engine/src/embedded-engine';
import type { EventItem } from '../../../../api/src/store/event-item';
import { createIndexRequest } from '../../../../contract/event-id-index-request';

export interface TestEngine extends DynamoDbClients {
  engine: EmbeddedEngine;
  stop(): Promise<void>;
}

/** Starts an in-memory engine on a free port with clients pointed at it. */
export async function startTestEngine(options: { indexCreateMs?: number } = {}): Promise<TestEngine> {
  const engine = await startEmbeddedEngine({
    port: 0,
    mode: 'in-process',
    indexCreateMs: options.indexCreateMs ?? 10,
    indexDeleteMs: 10,
  });
  const clients = createDynamoDbClients({ region: 'us-east-1', endpoint: engine.endpoint, requestTimeoutMs: 10_000 });
  return {
    ...clients,
    engine,
    stop: async () => {
      clients.client.destroy();
      await engine.close();
    },
  };
}

export const legacySeedTenants = ['tenant-a', 'tenant-b', 'tenant-c'];

let tables = 0;

export interface LegacyTable {
  tableName: string;
  events: EventItem[];
  idempotencyKeys: string[];
}

/** A pre-migration events table: legacy events without `event_id` plus idempotency records. */
export async function createLegacyTable(
  client: DynamoDBClient,
  doc: DynamoDBDocumentClient,
  count: number,
): Promise<LegacyTable> {
  const tableName = `legacy-events-${++tables}`;
  await ensureTables(client, doc, { events: tableName, apiKeys: `${tableName}-keys` }, { legacy: true });
  const events = await seedLegacyEvents(doc, { tableName, count, tenants: legacySeedTenants });
  const idempotencyKeys = ['key-a', 'key-b', 'key-c'];
  for (const [i, key] of idempotencyKeys.entries()) {
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          tenant_id: legacySeedTenants[i % legacySeedTenants.length],
          sk: idempotencySortKey(key),
          request_hash: 'h',
        },
      }),
    );
  }
  return { tableName, events, idempotencyKeys };
}

/** Adds `event-id-index` online, as the state machine does, and waits until it is ACTIVE. */
export async function addEventIdIndex(client: DynamoDBClient, tableName: string): Promise<void> {
  await addIndex(client, tableName, EVENT_ID_INDEX);
}

/** Adds a derived index online (its definition from DERIVED_INDEXES), and waits until it is ACTIVE. */
export async function addIndex(client: DynamoDBClient, tableName: string, indexName: string): Promise<void> {
  await client.send(new UpdateTableCommand(createIndexRequest(tableName, indexName)));
  await waitForIndex(client, tableName, (status) => status === 'ACTIVE', indexName);
}

/** Polls DescribeTable until the index status satisfies `done` (undefined = index gone). */
export async function waitForIndex(
  client: DynamoDBClient,
  tableName: string,
  done: (status: string | undefined) => boolean,
  indexName: string = EVENT_ID_INDEX,
): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const index = Table?.GlobalSecondaryIndexes?.find((gsi) => gsi.IndexName === indexName);
    if (done(index?.IndexStatus)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`Index ${indexName} on ${tableName} did not reach the expected state`);
}
