/**
 * The migration as it ships: the state machine definition from the synthesized MigrationStack template,
 * run by aws-local-stepfunctions, with its Lambda tasks sent to the bundled backfill and verify functions
 * `cdk synth` wrote, each loaded alone in a Lambda sandbox (no node_modules reachable). The functions and
 * the state machine's DynamoDB calls reach the embedded engine.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { LambdaSandbox } from '../../../tooling/lambda-sandbox';
import { startLocalStage, type LocalStage } from '../../../tooling/local-stage';
import { ensureTables } from '../../../api/src/store/ensure-tables';
import { readIndexState } from '../../../api/src/store/index-control';
import { seedLegacyEvents } from '../../../api/src/store/legacy-seed';
import { EVENT_ID_INDEX } from '../../../contract/table-schemas';
import { synthesizedApp } from '../../../tooling/synthesized-app';
import { aslFromTemplate } from '../../infra/migration-definition';
import { createEventIdIndexRequest } from '../../../contract/event-id-index-request';
import { runMigrationLocally, type LambdaTask } from '../../src/local/run-migration-locally';

const MIGRATION_STACK = 'TriggersApi-Production-Migration';

/** A Lambda task that invokes a sandboxed function, failing as Step Functions would see the function fail. */
function viaSandbox(sandbox: LambdaSandbox, payloads: unknown[]): LambdaTask {
  return async (payload) => {
    payloads.push(payload);
    const invocation = await sandbox.invoke(payload);
    if (invocation.ok) return invocation.result;
    const error = new Error(invocation.error.message);
    error.name = invocation.error.name;
    throw error;
  };
}

describe('the migration bundles, run by the synthesized state machine', () => {
  let stage: LocalStage;
  let backfill: LambdaSandbox;
  let verify: LambdaSandbox;
  let tables = 0;

  beforeAll(async () => {
    stage = await startLocalStage(await synthesizedApp());
    backfill = await stage.start('Backfill');
    verify = await stage.start('Verify');
  }, 180_000);

  afterAll(async () => {
    await stage?.close();
  });

  async function legacyTable(count: number): Promise<string> {
    const names = { events: `bundle-legacy-events-${++tables}`, apiKeys: `bundle-legacy-keys-${tables}` };
    await ensureTables(stage.db.client, stage.db.doc, names, { legacy: true });
    await seedLegacyEvents(stage.db.doc, { tableName: names.events, count, tenants: ['acme', 'globex', 'initech'] });
    return names.events;
  }

  it('backfills and verifies the event-id-index CloudFormation added to a table of legacy events', async () => {
    const tableName = await legacyTable(600);
    // The stage's table gets its index from CloudFormation (the deployed state machine may not create it).
    await stage.db.client.send(new UpdateTableCommand(createEventIdIndexRequest(tableName)));
    const template = Template.fromJSON(stage.templates[MIGRATION_STACK] ?? {});
    const backfillPayloads: unknown[] = [];
    const verifyPayloads: unknown[] = [];

    const result = await runMigrationLocally(
      { tableName, totalSegments: 3, maxWritesPerSecond: 5000, maxPolls: 200 },
      {
        client: stage.db.client,
        doc: stage.db.doc,
        definition: aslFromTemplate(template),
        waitMs: 50,
        lambdaTasks: { backfill: viaSandbox(backfill, backfillPayloads), verify: viaSandbox(verify, verifyPayloads) },
      },
    );

    const events = await stage.db.doc.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: 'begins_with(sk, :event)',
        ExpressionAttributeValues: { ':event': 'EVENT#' },
      }),
    );
    const indexed = await stage.db.doc.send(new ScanCommand({ TableName: tableName, IndexName: EVENT_ID_INDEX }));
    expect(result).toMatchObject({ ok: true, tableName, missingDerived: 0, sampleFailures: [] });
    await expect(readIndexState(stage.db.client, stage.db.doc, tableName)).resolves.toBe('verified');
    expect(events.Items?.length).toBeGreaterThan(500);
    expect(indexed.Items?.length).toBe(events.Items?.length);
    // The payloads the state machine sent, as the functions received them.
    expect(backfillPayloads).toContainEqual({
      tableName,
      indexName: 'event-id-index',
      segment: 0,
      totalSegments: 3,
      maxWritesPerSecond: 5000,
    });
    expect(new Set(backfillPayloads.map((p) => (p as { segment: number }).segment))).toEqual(new Set([0, 1, 2]));
    // Verification in three steps: start, one loop per segment, finish.
    expect(verifyPayloads[0]).toEqual({
      phase: 'start',
      tableName,
      indexName: 'event-id-index',
      totalSegments: 3,
      countAttempts: 0,
    });
    const segmentPayloads = verifyPayloads.filter((p) => (p as { phase: string }).phase === 'segment');
    expect(new Set(segmentPayloads.map((p) => (p as { segment: number }).segment))).toEqual(new Set([0, 1, 2]));
    expect(verifyPayloads.at(-1)).toMatchObject({ phase: 'finish', start: { tableName }, segments: expect.any(Array) });
  }, 120_000);

  it('fails a backfill of a missing table with an error Step Functions can match by name', async () => {
    const invocation = await backfill.invoke({
      tableName: 'no-such-table',
      segment: 0,
      totalSegments: 1,
      maxWritesPerSecond: 100,
    });

    expect(invocation).toMatchObject({ ok: false, error: { name: 'TableNotFoundError' } });
    expect(backfill.exit()).toBeUndefined();
  });

  it('rejects a payload out of range with the handler error type the definition names', async () => {
    const invocation = await verify.invoke({ tableName: '' });

    expect(invocation).toMatchObject({ ok: false, error: { name: 'InvalidMigrationInputError' } });
  });

  it('writes only JSON lines, if anything', () => {
    const lines = [...backfill.stdout(), ...verify.stdout()];

    expect(lines.filter((line) => !line.startsWith('{'))).toEqual([]);
    expect(backfill.stderr() + verify.stderr()).toBe('');
  });
});
