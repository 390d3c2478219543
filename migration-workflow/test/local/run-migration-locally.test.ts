import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { startEmbeddedEngine, type EmbeddedEngine } from '../../../api/src/engine/embedded-engine';
import { createDynamoDbClients, type DynamoDbClients } from '../../../api/src/store/dynamodb-client';
import { readEventIdIndexState } from '../../../api/src/store/event-id-index-control';
import { ensureTables } from '../../../api/src/store/ensure-tables';
import { seedLegacyEvents } from '../../../api/src/store/legacy-seed';
import { synthesizedMigrationDefinition } from '../../infra/migration-definition';
import { runMigrationLocally } from '../../src/local/run-migration-locally';

/** The synthesized state machine, executed by aws-local-stepfunctions against the embedded engine. */
describe('the migration state machine run locally', () => {
  let engine: EmbeddedEngine;
  let db: DynamoDbClients;
  let table = 0;

  beforeAll(async () => {
    engine = await startEmbeddedEngine({ port: 0, mode: 'in-process', indexCreateMs: 50, indexDeleteMs: 50 });
    db = createDynamoDbClients({ region: 'us-east-1', endpoint: engine.endpoint });
  });
  afterAll(async () => {
    db.client.destroy();
    await engine.close();
  });

  async function legacyTable(count: number): Promise<string> {
    const tables = { events: `migration-events-${++table}`, apiKeys: `migration-keys-${table}` };
    await ensureTables(db.client, db.doc, tables, { legacy: true });
    await seedLegacyEvents(db.doc, { tableName: tables.events, count, tenants: ['acme', 'globex'] });
    return tables.events;
  }

  const run = (tableName: string) =>
    runMigrationLocally(
      { tableName, totalSegments: 3, maxWritesPerSecond: 5000, maxPolls: 100 },
      { client: db.client, doc: db.doc, definition: synthesizedMigrationDefinition(tableName), waitMs: 50 },
    );

  async function indexNames(tableName: string): Promise<string[]> {
    const { Table } = await db.client.send(new DescribeTableCommand({ TableName: tableName }));
    return (Table?.GlobalSecondaryIndexes ?? []).map((i) => `${i.IndexName}:${i.IndexStatus}`);
  }

  it('adds the index, backfills every legacy event, verifies and marks it verified', async () => {
    const tableName = await legacyTable(150);
    const report = (await run(tableName)) as { ok: boolean; eventItems: number; indexedItems: number };
    expect(report).toMatchObject({ ok: true, eventItems: 150, indexedItems: 150 });
    expect(await indexNames(tableName)).toContain('event-id-index:ACTIVE');
    expect(await readEventIdIndexState(db.client, db.doc, tableName)).toBe('verified');
  }, 60_000);

  it('is a no-op when run again after success', async () => {
    const tableName = await legacyTable(20);
    await run(tableName);
    await expect(run(tableName)).resolves.toMatchObject({ control: { Item: { status: { S: 'verified' } } } });
  }, 60_000);

  it('rolls back the index it created when verification fails, and fails with the cause', async () => {
    const tableName = await legacyTable(30);
    // An event item whose sort key holds no event id cannot be backfilled: verification must fail.
    await db.doc.send(
      new PutCommand({ TableName: tableName, Item: { tenant_id: 'acme', sk: 'EVENT#broken', source: 's' } }),
    );
    await expect(run(tableName)).rejects.toThrow(/VerificationFailed|missingEventId/);
    expect(await indexNames(tableName)).not.toContainEqual(expect.stringMatching(/^event-id-index/));
    expect(await readEventIdIndexState(db.client, db.doc, tableName)).toBe('absent');
  }, 60_000);
});
