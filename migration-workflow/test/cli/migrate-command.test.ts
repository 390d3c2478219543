import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { startEmbeddedEngine, type EmbeddedEngine } from '../../../engine/src/embedded-engine';
import { createDynamoDbClients, type DynamoDbClients } from '../../../platform/dynamodb-client';
import { readIndexState } from '../../../api/src/store/index-control';
import { ensureTables } from '../../../api/src/store/ensure-tables';
import { seedLegacyEvents } from '../../../api/src/store/legacy-seed';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { runMigrateCommand, STILL_RUNNING_EXIT_CODE, type MigrateDeps } from '../../src/cli/migrate-command';
import { progressBar } from '../../src/cli/migration-progress';

const ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:migration';
const EXECUTION = 'arn:aws:states:us-east-1:000000000000:execution:migration:run-1';

interface Harness {
  deps: MigrateDeps;
  out: string[];
  err: string[];
  /** What was appended to each file, in order. */
  files: Map<string, string>;
  /** The harness clock in ms: it moves only when the command sleeps. */
  clock: { now: number };
}

function harness(dynamodb?: DynamoDbClients): Harness {
  const out: string[] = [];
  const err: string[] = [];
  const files = new Map<string, string>();
  const clock = { now: Date.parse('2026-11-27T00:00:00Z') };
  return {
    out,
    err,
    files,
    clock,
    deps: {
      sfn: () => new SFNClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
      dynamodb: () => {
        if (!dynamodb) throw new Error('no DynamoDB in this test');
        return dynamodb;
      },
      env: { MIGRATION_STATE_MACHINE_ARN: ARN },
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      sleep: (ms) => {
        clock.now += ms;
        return Promise.resolve();
      },
      now: () => clock.now,
      appendToFile: (path, text) => files.set(path, (files.get(path) ?? '') + text),
    },
  };
}

// Step Functions has no local service to call: these tests use a client double for the AWS side.
describe('npm run migrate against Step Functions (client double)', () => {
  const sfn = mockClient(SFNClient);
  beforeEach(() => sfn.reset());

  it.each([['0'], ['41'], ['2.5']])('refuses --segments %s without starting anything', async (segments) => {
    const { deps } = harness();
    expect(await runMigrateCommand(['start', '--table', 'events', '--segments', segments], deps)).toBe(2);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('starts an execution with the table, segments and write rate as input', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
    const { deps, out } = harness();
    expect(await runMigrateCommand(['start', '--table', 'events', '--segments', '4', '--rate', '500'], deps)).toBe(0);
    const call = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(call?.stateMachineArn).toBe(ARN);
    expect(JSON.parse(call?.input ?? '{}')).toMatchObject({
      tableName: 'events',
      totalSegments: 4,
      maxWritesPerSecond: 500,
    });
    expect(out).toContain(`Started ${EXECUTION}`);
  });

  it("does not count the verification Map's iterations as backfill segments", async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        { id: 1, type: 'MapStateEntered', timestamp: new Date(), stateEnteredEventDetails: { name: 'Backfill' } },
        { id: 2, type: 'MapStateStarted', timestamp: new Date(), mapStateStartedEventDetails: { length: 1 } },
        {
          id: 3,
          type: 'MapIterationSucceeded',
          timestamp: new Date(),
          mapIterationSucceededEventDetails: { name: 'Backfill', index: 0 },
        },
        {
          id: 4,
          type: 'MapStateEntered',
          timestamp: new Date(),
          stateEnteredEventDetails: { name: 'Verify segments' },
        },
        { id: 5, type: 'MapStateStarted', timestamp: new Date(), mapStateStartedEventDetails: { length: 1 } },
        {
          id: 6,
          type: 'MapIterationSucceeded',
          timestamp: new Date(),
          mapIterationSucceededEventDetails: { name: 'Verify segments', index: 0 },
        },
      ],
    });
    sfn.on(DescribeExecutionCommand).resolves({
      status: 'SUCCEEDED',
      output: '{"ok":true}',
      startDate: new Date(),
      executionArn: EXECUTION,
      stateMachineArn: ARN,
    });
    const { deps, out } = harness();
    expect(await runMigrateCommand(['follow', EXECUTION], deps)).toBe(0);
    expect(out.filter((line) => line.startsWith('Backfill started'))).toEqual(['Backfill started over 1 segments']);
    expect(out.filter((line) => line.includes('1/1 segments'))).toHaveLength(1);
  });

  it('follows an execution: state transitions, a backfill progress bar, then the final status', async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        { id: 1, type: 'TaskStateEntered', timestamp: new Date(), stateEnteredEventDetails: { name: 'Create index' } },
        { id: 2, type: 'MapStateStarted', timestamp: new Date(), mapStateStartedEventDetails: { length: 2 } },
        {
          id: 3,
          type: 'TaskStateEntered',
          timestamp: new Date(),
          stateEnteredEventDetails: { name: 'Backfill segment' },
        },
        {
          id: 4,
          type: 'LambdaFunctionSucceeded',
          timestamp: new Date(),
          lambdaFunctionSucceededEventDetails: { output: '{"segment":0,"scanned":10,"updated":9,"done":true}' },
        },
        { id: 5, type: 'MapIterationSucceeded', timestamp: new Date() },
        { id: 6, type: 'MapIterationSucceeded', timestamp: new Date() },
      ],
    });
    sfn.on(DescribeExecutionCommand).resolves({
      status: 'SUCCEEDED',
      output: '{"ok":true}',
      startDate: new Date(),
      executionArn: EXECUTION,
      stateMachineArn: ARN,
    });
    const { deps, out } = harness();
    expect(await runMigrateCommand(['follow', EXECUTION], deps)).toBe(0);
    expect(out).toEqual([
      '-> Create index',
      'Backfill started over 2 segments',
      `Backfill ${progressBar(0, 2)} segments, 9 of 10 event items updated`,
      `Backfill ${progressBar(1, 2)} segments, 9 of 10 event items updated`,
      `Backfill ${progressBar(2, 2)} segments, 9 of 10 event items updated`,
      expect.stringMatching(/^SUCCEEDED/),
      'Output: {"ok":true}',
    ]);
  });

  it('exits 1 and prints the cause when the execution failed', async () => {
    sfn.on(DescribeExecutionCommand).resolves({
      status: 'FAILED',
      error: 'VerificationFailed',
      cause: '{"missingDerived":3}',
      startDate: new Date(),
      executionArn: EXECUTION,
      stateMachineArn: ARN,
    });
    const { deps, out } = harness();
    expect(await runMigrateCommand(['status', EXECUTION], deps)).toBe(1);
    expect(out).toContain('Failed: VerificationFailed {"missingDerived":3}');
  });

  describe('--summary and --follow-minutes (the job summary of migrate.yml)', () => {
    // Still the Step Functions client double: there is no local Step Functions API to run these against.
    const SUMMARY = '/job/step-summary.md';
    const running = {
      status: 'RUNNING' as const,
      startDate: new Date(),
      executionArn: EXECUTION,
      stateMachineArn: ARN,
    };

    it('writes the execution ARN to the summary as soon as the execution starts, before following it', async () => {
      const h = harness();
      const summaryWhenHistoryWasRead: string[] = [];
      sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
      sfn.on(GetExecutionHistoryCommand).callsFake(() => {
        summaryWhenHistoryWasRead.push(h.files.get(SUMMARY) ?? '');
        return { events: [] };
      });
      sfn.on(DescribeExecutionCommand).resolves({ ...running, status: 'SUCCEEDED', output: '{"ok":true}' });

      const code = await runMigrateCommand(['start', '--table', 'events', '--follow', '--summary', SUMMARY], h.deps);

      expect(code).toBe(0);
      expect(summaryWhenHistoryWasRead[0]).toContain(`Execution ARN: \`${EXECUTION}\``);
      expect(summaryWhenHistoryWasRead[0]).toContain(`npm run migrate -- follow ${EXECUTION}`);
      const summary = h.files.get(SUMMARY) ?? '';
      expect(summary.indexOf(EXECUTION)).toBeLessThan(summary.indexOf('**Outcome: SUCCEEDED**'));
      expect(summary).toContain('{"ok":true}');
    });

    it('writes the ARN of an execution it is asked to follow, then its failure and cause', async () => {
      const h = harness();
      sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
      sfn.on(DescribeExecutionCommand).resolves({
        ...running,
        status: 'FAILED',
        error: 'VerificationFailed',
        cause: '{"missingDerived":3}',
      });

      expect(await runMigrateCommand(['follow', EXECUTION, '--summary', SUMMARY], h.deps)).toBe(1);

      const summary = h.files.get(SUMMARY) ?? '';
      expect(summary).toMatch(/^### event-id-index migration: execution followed/);
      expect(summary).toContain(EXECUTION);
      expect(summary).toContain('**Outcome: FAILED**');
      expect(summary).toContain('Error: `VerificationFailed`');
      expect(summary).toContain('{"missingDerived":3}');
      expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    });

    it('stops following at --follow-minutes with exit 3, leaving the execution running, and says how to follow again', async () => {
      const h = harness();
      const startedAt = h.clock.now;
      sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
      sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
      sfn.on(DescribeExecutionCommand).resolves(running);

      const code = await runMigrateCommand(
        ['start', '--table', 'events', '--follow', '--summary', SUMMARY, '--follow-minutes', '2'],
        h.deps,
      );

      expect(code).toBe(STILL_RUNNING_EXIT_CODE);
      expect(h.clock.now - startedAt).toBeLessThanOrEqual(2 * 60_000);
      expect(h.out.at(-1)).toBe(
        `Stopped following after 2 minutes: the execution is still RUNNING and goes on. Follow it again with: npm run migrate -- follow ${EXECUTION} (or the Migrate event-id-index workflow, mode follow)`,
      );
      const summary = h.files.get(SUMMARY) ?? '';
      expect(summary).toContain('**Still RUNNING** after following it for 2 minutes');
      expect(summary.match(new RegExp(`npm run migrate -- follow ${EXECUTION}`, 'g'))).toHaveLength(2);
      expect(sfn.commandCalls(StopExecutionCommand)).toHaveLength(0);
    });

    it('exits 2 when --follow-minutes is not a positive number, before starting anything', async () => {
      const { deps, err } = harness();
      expect(await runMigrateCommand(['start', '--table', 'events', '--follow-minutes', '0'], deps)).toBe(2);
      expect(err[0]).toMatch(/^--follow-minutes 0: give a positive number/);
      expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    });
  });

  it('lists executions', async () => {
    sfn.on(ListExecutionsCommand).resolves({
      executions: [
        {
          executionArn: EXECUTION,
          stateMachineArn: ARN,
          name: 'run-1',
          status: 'SUCCEEDED',
          startDate: new Date('2026-11-27T00:00:00Z'),
        },
      ],
    });
    const { deps, out } = harness();
    expect(await runMigrateCommand(['list'], deps)).toBe(0);
    expect(out).toEqual([`SUCCEEDED\t2026-11-27T00:00:00.000Z\t${EXECUTION}`]);
  });

  it('exits 2 with the usage for a command it does not know, or a start without a table', async () => {
    const { deps, err } = harness();
    expect(await runMigrateCommand(['explode'], deps)).toBe(2);
    expect(await runMigrateCommand(['start'], deps)).toBe(2);
    expect(err.join('\n')).toContain('start needs --table <name>');
  });

  it('exits 2 when asked to build an index the schema does not derive, naming the ones it does', async () => {
    const { deps, err } = harness();
    expect(await runMigrateCommand(['start', '--table', 'events', '--index', 'by-source'], deps)).toBe(2);
    expect(err).toEqual([
      '--index by-source: not an index the migration can add; give one of event-id-index, inbox-source-index, inbox-type-index, inbox-source-type-index',
    ]);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});

describe('npm run migrate -- start --local (the embedded engine)', () => {
  let engine: EmbeddedEngine;
  let db: DynamoDbClients;
  beforeAll(async () => {
    engine = await startEmbeddedEngine({ port: 0, mode: 'in-process', indexCreateMs: 50, indexDeleteMs: 50 });
    db = createDynamoDbClients({ region: 'us-east-1', endpoint: engine.endpoint });
    await ensureTables(
      db.client,
      db.doc,
      { events: 'cli-migration-events', apiKeys: 'cli-migration-keys' },
      { legacy: true },
    );
    await seedLegacyEvents(db.doc, { tableName: 'cli-migration-events', count: 40, tenants: ['acme'] });
  });
  afterAll(async () => {
    db.client.destroy();
    await engine.close();
  });

  it('exits 2 for an unknown table', async () => {
    const { deps, err } = harness(db);
    expect(await runMigrateCommand(['start', '--local', '--table', 'no-such-table'], deps)).toBe(2);
    expect(err).toContain("Unknown table 'no-such-table'");
  });

  it('migrates a legacy table following its progress, then reports a rerun as a no-op with exit 0', async () => {
    const first = harness(db);
    const args = ['start', '--local', '--table', 'cli-migration-events', '--segments', '2', '--follow'];
    expect(await runMigrateCommand(args, first.deps)).toBe(0);
    expect(first.out).toEqual(
      expect.arrayContaining([
        '-> Create index',
        'Backfill started over 2 segments',
        `Backfill ${progressBar(2, 2)} segments, 40 of 40 event items updated`,
        '-> Mark verified',
      ]),
    );
    expect(first.out.join('\n')).toMatch(/Succeeded: .*"ok":true/);
    expect(await readIndexState(db.client, db.doc, 'cli-migration-events')).toBe('verified');

    const again = harness(db);
    expect(await runMigrateCommand(['start', '--local', '--table', 'cli-migration-events'], again.deps)).toBe(0);
    expect(again.out).toContain('event-id-index is already verified: nothing to do');
  }, 60_000);

  it('exits 1 and prints the cause when the migration fails (and rolls back)', async () => {
    await ensureTables(
      db.client,
      db.doc,
      { events: 'cli-broken-events', apiKeys: 'cli-broken-keys' },
      { legacy: true },
    );
    await seedLegacyEvents(db.doc, { tableName: 'cli-broken-events', count: 10, tenants: ['acme'] });
    await db.doc.send(new PutCommand({ TableName: 'cli-broken-events', Item: { tenant_id: 'acme', sk: 'EVENT#x' } }));
    const { deps, err, out } = harness(db);
    expect(await runMigrateCommand(['start', '--local', '--table', 'cli-broken-events', '--follow'], deps)).toBe(1);
    expect(out).toContain('-> Delete index');
    expect(err.join('\n')).toMatch(/Migration failed: .*missingDerived/);
    expect(await readIndexState(db.client, db.doc, 'cli-broken-events')).toBe('absent');
  }, 60_000);
});
