import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { startEmbeddedEngine, type EmbeddedEngine } from '../../../engine/src/embedded-engine';
import { createDynamoDbClients, type DynamoDbClients } from '../../../platform/dynamodb-client';
import { readIndexState } from '../../../api/src/store/index-control';
import { ensureTables } from '../../../api/src/store/ensure-tables';
import { seedLegacyEvents } from '../../../api/src/store/legacy-seed';
import { startFaultProxy, type FaultProxy } from '../../../tooling/fault-proxy';
import { CONTROL_TENANT, MIGRATION_LOCK_SK } from '../../../contract/control-record';
import { synthesizedMigrationDefinition } from '../../infra/migration-definition';
import type { ProgressEvent } from '../../src/cli/migration-progress';
import { runMigrationLocally, statesErrorName } from '../../src/local/run-migration-locally';

describe('statesErrorName: errors named as Step Functions names them, per integration kind', () => {
  const sdkError = (name: string) => Object.assign(new Error('x'), { name, $metadata: {} });
  it.each([
    ['arn:aws:states:::aws-sdk:dynamodb:updateTable', 'ResourceInUseException', 'DynamoDb.ResourceInUseException'],
    ['arn:aws:states:::aws-sdk:dynamodb:putItem', 'InternalServerError', 'DynamoDb.InternalServerErrorException'],
    ['arn:aws:states:::aws-sdk:dynamodb:scan', 'RequestLimitExceeded', 'DynamoDb.RequestLimitExceededException'],
    ['arn:aws:states:::aws-sdk:sfn:describeExecution', 'ExecutionDoesNotExist', 'Sfn.ExecutionDoesNotExistException'],
    [
      'arn:aws:states:::dynamodb:putItem',
      'ConditionalCheckFailedException',
      'DynamoDB.ConditionalCheckFailedException',
    ],
  ])('%s raises %s as %s', (resource, name, expected) => {
    expect(statesErrorName(resource, sdkError(name))).toBe(expected);
  });

  it('keeps the name of an error that is not the service answering (a network failure)', () => {
    expect(statesErrorName('arn:aws:states:::aws-sdk:dynamodb:getItem', new TypeError('socket hang up'))).toBe(
      'TypeError',
    );
  });
});

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
    const report = (await run(tableName)) as { ok: boolean; belongingItems: number; indexedItems: number };
    expect(report).toMatchObject({ ok: true, belongingItems: 150, indexedItems: 150 });
    expect(await indexNames(tableName)).toContain('event-id-index:ACTIVE');
    expect(await readIndexState(db.client, db.doc, tableName)).toBe('verified');
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
    await expect(run(tableName)).rejects.toThrow(/"underivable":1/);
    expect(await indexNames(tableName)).not.toContainEqual(expect.stringMatching(/^event-id-index/));
    expect(await readIndexState(db.client, db.doc, tableName)).toBe('absent');
  }, 60_000);

  it('verifies a table too large for one verification invocation in segments that continue where they stopped', async () => {
    const tableName = await legacyTable(400);
    const progress: ProgressEvent[] = [];
    const report = await runMigrationLocally(
      { tableName, totalSegments: 3, maxWritesPerSecond: 5000, maxPolls: 100 },
      {
        client: db.client,
        doc: db.doc,
        definition: synthesizedMigrationDefinition(tableName),
        waitMs: 50,
        // One page of 25 items per invocation: each segment needs several.
        verifyBudgetMs: 1,
        verifyPageSize: 25,
        onProgress: (event) => progress.push(event),
      },
    );
    expect(report).toMatchObject({
      ok: true,
      belongingItems: 400,
      indexedItems: 400,
      missingDerived: 0,
      sampleFailures: [],
    });
    const invocations = progress.filter((event) => event.kind === 'state' && event.name === 'Verify segment').length;
    // 400 items and 400 index entries in pages of 25 (a filtered page may hold fewer): at least 32 pages.
    expect(invocations).toBeGreaterThanOrEqual(32);
    // The backfill: one child execution per segment, run by the local runner as startExecution.sync:2 would.
    expect(progress.filter((event) => event.kind === 'state' && event.name === 'Run segment')).toHaveLength(3);
    expect(progress.filter((event) => event.kind === 'segment-done')).toHaveLength(3);
    expect(progress).toContainEqual({ kind: 'state', name: 'Backfill segment' });
    expect(await readIndexState(db.client, db.doc, tableName)).toBe('verified');
  }, 60_000);

  it.each([
    ['more segments than run at once', { totalSegments: 41 }],
    ['no segments', { totalSegments: 0 }],
    ['a write rate as text', { maxWritesPerSecond: '100' }],
  ])(
    'refuses input with %s before it reads or changes the table',
    async (_, bad) => {
      const tableName = await legacyTable(5);
      const progress: ProgressEvent[] = [];
      await expect(
        runMigrationLocally(
          { tableName, totalSegments: 3, maxWritesPerSecond: 5000, maxPolls: 100, ...(bad as object) },
          {
            client: db.client,
            doc: db.doc,
            definition: synthesizedMigrationDefinition(tableName),
            waitMs: 50,
            onProgress: (event) => progress.push(event),
          },
        ),
      ).rejects.toThrow(/InvalidMigrationInput|totalSegments \(1 to 40\)/);
      expect(progress).not.toContainEqual({ kind: 'state', name: 'Describe table' });
      expect(await indexNames(tableName)).not.toContainEqual(expect.stringMatching(/^event-id-index/));
    },
    30_000,
  );

  async function lockHolder(tableName: string): Promise<unknown> {
    const { Item } = await db.doc.send(
      new GetCommand({ TableName: tableName, Key: { tenant_id: CONTROL_TENANT, sk: MIGRATION_LOCK_SK } }),
    );
    return Item?.holder;
  }

  it('refuses a second execution on the same table while the first runs; the first finishes and keeps its index', async () => {
    const tableName = await legacyTable(200);
    const [first, second] = await Promise.allSettled([run(tableName), run(tableName)]);
    const outcomes = [first, second].map((outcome) => outcome.status).sort();
    expect(outcomes).toEqual(['fulfilled', 'rejected']);
    const refused = [first, second].find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult;
    expect(String(refused.reason)).toMatch(/MigrationAlreadyRunning|is migrating table/);
    expect(await indexNames(tableName)).toContain('event-id-index:ACTIVE');
    expect(await readIndexState(db.client, db.doc, tableName)).toBe('verified');
    expect(await lockHolder(tableName)).toBeUndefined();
  }, 60_000);

  it('takes over a lock left by an execution that has ended', async () => {
    const tableName = await legacyTable(20);
    await db.doc.send(
      new PutCommand({
        TableName: tableName,
        Item: { tenant_id: CONTROL_TENANT, sk: MIGRATION_LOCK_SK, holder: 'arn:aws:states:local:0:execution:m:gone' },
      }),
    );
    await expect(run(tableName)).resolves.toMatchObject({ ok: true });
    expect(await lockHolder(tableName)).toBeUndefined();
  }, 60_000);

  describe('segment child executions that cannot start', () => {
    const runRefused = async (tableName: string, refuseSegmentStarts: number) => {
      const progress: ProgressEvent[] = [];
      const result = await runMigrationLocally(
        { tableName, totalSegments: 2, maxWritesPerSecond: 5000, maxPolls: 100 },
        {
          client: db.client,
          doc: db.doc,
          definition: synthesizedMigrationDefinition(tableName),
          waitMs: 20,
          retryIntervalMs: 1,
          refuseSegmentStarts,
          onProgress: (event) => progress.push(event),
        },
      ).catch((error: unknown) => ({ rejected: String(error) }));
      return { result, progress, retries: progress.filter((e) => e.kind === 'retry' && e.state === 'Run segment') };
    };

    it('are retried at the running-executions limit, and the migration finishes', async () => {
      const tableName = await legacyTable(40);
      const { result, retries } = await runRefused(tableName, 3);
      expect(result).toMatchObject({ ok: true, belongingItems: 40 });
      expect(retries).toHaveLength(3);
      expect(retries[0]).toMatchObject({ error: 'StepFunctions.ExecutionLimitExceeded' });
    }, 60_000);

    it('fail in doubt once the retries run out: no rollback, the index and its backfill stay for a rerun', async () => {
      const tableName = await legacyTable(40);
      const { result, progress, retries } = await runRefused(tableName, 1000);
      expect(result).toMatchObject({ rejected: expect.stringMatching(/maximum number of running executions/) });
      expect(progress).toContainEqual(
        expect.objectContaining({ kind: 'failed', error: 'StepFunctions.ExecutionLimitExceeded' }),
      );
      expect(retries.length).toBeGreaterThanOrEqual(12);
      expect(progress).not.toContainEqual({ kind: 'state', name: 'Delete index' });
      expect(await indexNames(tableName)).toContain('event-id-index:ACTIVE');
      expect(await lockHolder(tableName)).toBeUndefined();
      await expect(run(tableName)).resolves.toMatchObject({ ok: true, belongingItems: 40 });
    }, 60_000);
  });

  it('keeps every state within the 256 KB payload on a table whose tenants have 1,800-byte keys, over 40 segments', async () => {
    const tableName = await legacyTable(0);
    const tenants = Array.from({ length: 40 }, (_, i) => `${i}-`.padEnd(1800, 'k'));
    await seedLegacyEvents(db.doc, { tableName, count: 1200, tenants });
    const progress: ProgressEvent[] = [];
    const report = await runMigrationLocally(
      { tableName, totalSegments: 40, maxWritesPerSecond: 100_000, maxPolls: 100 },
      {
        client: db.client,
        doc: db.doc,
        definition: synthesizedMigrationDefinition(tableName),
        waitMs: 20,
        sampleSize: 1000,
        onProgress: (event) => progress.push(event),
      },
    );
    expect(report).toMatchObject({ ok: true, belongingItems: 1200, indexedItems: 1200, sampleFailureCount: 0 });
    // Each segment's share of the sample bytes holds one or two such items: the sample shrinks, the payload holds.
    expect((report as { sampled: number }).sampled).toBeGreaterThan(20);
  }, 120_000);

  it('rolls back only while it still holds the lock: an execution that lost it to another leaves the index alone', async () => {
    const tableName = await legacyTable(60);
    await db.doc.send(
      new PutCommand({ TableName: tableName, Item: { tenant_id: 'acme', sk: 'EVENT#broken', source: 's' } }),
    );
    let takenOver: Promise<unknown> | undefined;
    const progress: ProgressEvent[] = [];
    const outcome = await runMigrationLocally(
      { tableName, totalSegments: 2, maxWritesPerSecond: 5000, maxPolls: 100 },
      {
        client: db.client,
        doc: db.doc,
        definition: synthesizedMigrationDefinition(tableName),
        waitMs: 20,
        onProgress: (event) => {
          progress.push(event);
          // Another execution takes the table over while this one verifies (as after a redrive).
          if (event.kind === 'state' && event.name === 'Verify index' && !takenOver) {
            takenOver = db.doc.send(
              new PutCommand({
                TableName: tableName,
                Item: {
                  tenant_id: CONTROL_TENANT,
                  sk: MIGRATION_LOCK_SK,
                  holder: 'arn:aws:states:local:0:execution:m:other',
                },
              }),
            );
          }
        },
      },
    ).catch((error: unknown) => String(error));
    await takenOver;
    expect(outcome).toMatch(/"underivable":1/);
    expect(progress).toContainEqual({ kind: 'state', name: 'Lock held by another execution' });
    expect(progress).not.toContainEqual({ kind: 'state', name: 'Delete index' });
    expect(await indexNames(tableName)).toContain('event-id-index:ACTIVE');
    expect(await lockHolder(tableName)).toBe('arn:aws:states:local:0:execution:m:other');
  }, 60_000);

  it('stops waiting for a rollback delete after maxPolls, releasing the lock (IndexStillDeleting)', async () => {
    const slow = await startEmbeddedEngine({ port: 0, mode: 'in-process', indexCreateMs: 10, indexDeleteMs: 60_000 });
    const slowDb = createDynamoDbClients({ region: 'us-east-1', endpoint: slow.endpoint });
    try {
      const tables = { events: 'slow-delete-events', apiKeys: 'slow-delete-keys' };
      await ensureTables(slowDb.client, slowDb.doc, tables, { legacy: true });
      await seedLegacyEvents(slowDb.doc, { tableName: tables.events, count: 10, tenants: ['acme'] });
      await slowDb.doc.send(
        new PutCommand({ TableName: tables.events, Item: { tenant_id: 'acme', sk: 'EVENT#broken', source: 's' } }),
      );
      const progress: ProgressEvent[] = [];
      const outcome = await runMigrationLocally(
        { tableName: tables.events, totalSegments: 1, maxWritesPerSecond: 5000, maxPolls: 3 },
        {
          client: slowDb.client,
          doc: slowDb.doc,
          definition: synthesizedMigrationDefinition(tables.events),
          waitMs: 20,
          onProgress: (event) => progress.push(event),
        },
      ).catch((error: unknown) => String(error));
      expect(outcome).toMatch(/"underivable":1/);
      expect(progress).toContainEqual({ kind: 'state', name: 'Index still being deleted' });
      expect(progress.filter((e) => e.kind === 'state' && e.name === 'Wait for the index to go')).toHaveLength(4);
      const { Item } = await slowDb.doc.send(
        new GetCommand({ TableName: tables.events, Key: { tenant_id: CONTROL_TENANT, sk: MIGRATION_LOCK_SK } }),
      );
      expect(Item).toBeUndefined();
    } finally {
      slowDb.client.destroy();
      await slow.close();
    }
  }, 60_000);

  describe('with faults injected between the state machine and the engine', () => {
    let proxy: FaultProxy;
    let proxied: DynamoDbClients;

    beforeEach(async () => {
      proxy = await startFaultProxy(engine.endpoint);
      // One attempt per call: the state machine's own retries are what these tests are about.
      proxied = createDynamoDbClients({ region: 'us-east-1', endpoint: proxy.endpoint, maxAttempts: 1 });
    });
    afterEach(async () => {
      proxied.client.destroy();
      await proxy.close();
    });

    async function runProxied(tableName: string, maxPolls = 100) {
      const progress: ProgressEvent[] = [];
      const result = await runMigrationLocally(
        { tableName, totalSegments: 3, maxWritesPerSecond: 5000, maxPolls },
        {
          client: proxied.client,
          doc: proxied.doc,
          definition: synthesizedMigrationDefinition(tableName),
          waitMs: 50,
          retryIntervalMs: 10,
          onProgress: (event) => progress.push(event),
        },
      ).catch((error: unknown) => ({ rejected: String(error) }));
      const failed = progress.find((event) => event.kind === 'failed');
      const retries = (state: string) => progress.filter((e) => e.kind === 'retry' && e.state === state).length;
      return { result, failed, retries, progress };
    }

    /** Answers the first `operation` call after the index creation with throttling, once. */
    async function throttleOnceAfterCreate(operation: string): Promise<void> {
      await proxy.received('UpdateTable');
      proxy.operations = [operation];
      proxy.mode = 'throttle';
      await proxy.received(operation);
      proxy.reset();
    }

    it.each([
      ['Describe index', 'DescribeTable'],
      ['Mark verified', 'PutItem'],
    ])(
      'retries a throttled %s (named DynamoDb.*, as AWS names it) and finishes with the index',
      async (state, operation) => {
        const tableName = await legacyTable(30);
        const [outcome] = await Promise.all([runProxied(tableName), throttleOnceAfterCreate(operation)]);
        expect(outcome.failed).toBeUndefined();
        expect(outcome.result).toMatchObject({ ok: true });
        expect(outcome.retries(state)).toBe(1);
        expect(outcome.progress).toContainEqual(
          expect.objectContaining({ kind: 'retry', state, error: 'DynamoDb.ProvisionedThroughputExceededException' }),
        );
        expect(await indexNames(tableName)).toContain('event-id-index:ACTIVE');
        expect(await readIndexState(db.client, db.doc, tableName)).toBe('verified');
      },
      60_000,
    );

    it('fails without deleting when Mark verified keeps failing: the verified index stays for a rerun', async () => {
      const tableName = await legacyTable(30);
      const faults = (async () => {
        await proxy.received('UpdateTable');
        proxy.operations = ['PutItem'];
        proxy.mode = 'server-error';
      })();
      const [outcome] = await Promise.all([runProxied(tableName), faults]);
      expect(outcome.failed).toMatchObject({ kind: 'failed', error: 'DynamoDb.InternalServerErrorException' });
      expect(outcome.retries('Mark verified')).toBe(10);
      expect(outcome.progress).not.toContainEqual({ kind: 'state', name: 'Delete index' });
      expect(await indexNames(tableName)).toContain('event-id-index:ACTIVE');
      proxy.reset();
      await expect(run(tableName)).resolves.toMatchObject({ ok: true });
    }, 60_000);

    it('fails with the AWS error name, deleting nothing, when the index creation is refused', async () => {
      const tableName = await legacyTable(10);
      proxy.operations = ['UpdateTable'];
      proxy.mode = 'limit-exceeded';
      const outcome = await runProxied(tableName);
      expect(outcome.failed).toMatchObject({ error: 'DynamoDb.LimitExceededException' });
      expect(outcome.retries('Create index')).toBe(6);
      expect(outcome.progress).not.toContainEqual({ kind: 'state', name: 'Remember the index is ours' });
      expect(outcome.progress).not.toContainEqual({ kind: 'state', name: 'Delete index' });
      expect(await lockHolder(tableName)).toBeUndefined();
    }, 60_000);
  });

  it('leaves an index that is not ACTIVE after maxPolls building (IndexNotActive), and a rerun resumes with it', async () => {
    const slow = await startEmbeddedEngine({ port: 0, mode: 'in-process', indexCreateMs: 3000, indexDeleteMs: 50 });
    const slowDb = createDynamoDbClients({ region: 'us-east-1', endpoint: slow.endpoint });
    try {
      const tables = { events: 'slow-events', apiKeys: 'slow-keys' };
      await ensureTables(slowDb.client, slowDb.doc, tables, { legacy: true });
      await seedLegacyEvents(slowDb.doc, { tableName: tables.events, count: 10, tenants: ['acme'] });
      const options = {
        client: slowDb.client,
        doc: slowDb.doc,
        definition: synthesizedMigrationDefinition(tables.events),
        waitMs: 20,
      };
      const input = { tableName: tables.events, totalSegments: 2, maxWritesPerSecond: 5000 };
      await expect(runMigrationLocally({ ...input, maxPolls: 1 }, options)).rejects.toThrow(
        /IndexNotActive|did not become ACTIVE/,
      );
      const { Table } = await slowDb.client.send(new DescribeTableCommand({ TableName: tables.events }));
      expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toContain('event-id-index');
      await expect(runMigrationLocally({ ...input, maxPolls: 1000 }, options)).resolves.toMatchObject({ ok: true });
    } finally {
      slowDb.client.destroy();
      await slow.close();
    }
  }, 60_000);
});
