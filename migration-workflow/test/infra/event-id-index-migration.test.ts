import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import aslValidator from 'asl-validator';
import { StateMachine } from 'aws-local-stepfunctions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { EventIdIndexMigration } from '../../infra/event-id-index-migration';
import { aslFromTemplate } from '../../infra/migration-definition';
import { indexControlSk } from '../../../contract/control-record';
import { createIndexRequest } from '../../../contract/event-id-index-request';
import { DERIVED_INDEX_NAMES } from '../../../contract/table-schemas';

interface AslState {
  Type: string;
  Resource?: string;
  Next?: string;
  TimeoutSeconds?: number;
  Retry?: { ErrorEquals: string[] }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  Parameters?: Record<string, unknown>;
  Choices?: unknown[];
  Default?: string;
  Error?: string;
  Cause?: string;
  ItemProcessor?: { States: Record<string, AslState> };
}

/** The ASL definition as Step Functions receives it. */
function definitionOf(template: Template): { StartAt: string; States: Record<string, AslState> } {
  return aslFromTemplate(template) as unknown as { StartAt: string; States: Record<string, AslState> };
}

describe('EventIdIndexMigration', () => {
  const stack = new Stack(new App(), 'Migration');
  const table = new dynamodb.Table(stack, 'Events', {
    partitionKey: { name: 'tenant_id', type: dynamodb.AttributeType.STRING },
  });
  // Stand-ins for the handler functions: this test is about the state machine's shape.
  const fn = (id: string) =>
    new lambda.Function(stack, id, {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });
  new EventIdIndexMigration(stack, 'Migration', {
    tables: [table],
    indexOwnedTables: [table],
    backfillFunction: fn('Backfill'),
    verifyFunction: fn('Verify'),
  });
  const template = Template.fromStack(stack);
  const { StartAt, States } = definitionOf(template);
  const segmentStates = (aslFromTemplate(template).segmentDefinition?.States ?? {}) as unknown as Record<
    string,
    AslState
  >;

  it('synthesizes a definition that passes asl-validator (schema, paths and ARNs)', () => {
    const { segmentDefinition, ...main } = aslFromTemplate(template);
    for (const asl of [main, segmentDefinition]) {
      const result = aslValidator(asl, { checkPaths: true, checkArn: true });
      expect(result.errorsText('\n')).toBe('');
      expect(result.isValid).toBe(true);
    }
  });

  it('fails at once, with a cause naming the indexes it can build, when asked to build another index', () => {
    expect(StartAt).toBe('Supported index?');
    expect(States['Supported index?']?.Default).toBe('Unsupported index');
    expect(States['Unsupported index']).toMatchObject({ Type: 'Fail', Error: 'UnsupportedIndex' });
    for (const name of DERIVED_INDEX_NAMES) expect(States['Unsupported index']?.Cause).toContain(name);
  });

  it('builds the index the input names (default event-id-index) with the definition DERIVED_INDEXES gives it', () => {
    const choices = States['Supported index?']?.Choices as unknown[];
    expect(choices[0]).toEqual({ Not: { Variable: '$.indexName', IsPresent: true }, Next: 'Default index' });
    expect(States['Default index']).toMatchObject({
      Result: 'event-id-index',
      ResultPath: '$.indexName',
      Next: 'Supported index?',
    });
    expect(choices.slice(1).map((choice) => JSON.stringify(choice))).toEqual(
      DERIVED_INDEX_NAMES.map((name) => expect.stringContaining(`"StringEquals":"${name}"`)),
    );
    for (const name of DERIVED_INDEX_NAMES) {
      const request = createIndexRequest('', name);
      expect(States[`Index ${name}`]).toMatchObject({
        Type: 'Pass',
        ResultPath: '$.indexSpec',
        Result: {
          controlSk: indexControlSk(name),
          attributeDefinitions: request.AttributeDefinitions,
          create: request.GlobalSecondaryIndexUpdates,
          delete: [{ Delete: { IndexName: name } }],
        },
        Next: 'Valid input?',
      });
    }
  });

  it('checks its input before the preflight, and runs for up to 7 days', () => {
    expect(States['Valid input?']?.Default).toBe('Invalid input');
    expect(States['Invalid input']).toMatchObject({ Type: 'Fail', Error: 'InvalidMigrationInput' });
    expect(JSON.stringify(States['Valid input?']?.Choices)).toContain('"NumericLessThanEquals":40');
    expect(aslFromTemplate(template).TimeoutSeconds).toBe(7 * 24 * 3600);
  });

  it('starts with the preflight and ends in success, a no-op, or a failure', () => {
    expect((States['Valid input?']?.Choices as { Next: string }[])[0]?.Next).toBe('Describe table');
    expect(States['Already verified']?.Type).toBe('Succeed');
    expect(States['Index verified']?.Type).toBe('Succeed');
    expect(States['Migration failed']?.Type).toBe('Fail');
  });

  it('creates the index with one UpdateTable call and retries while the table is busy', () => {
    const create = States['Create index'];
    expect(create?.Parameters).toEqual({
      'TableName.$': '$.tableName',
      'AttributeDefinitions.$': '$.indexSpec.attributeDefinitions',
      'GlobalSecondaryIndexUpdates.$': '$.indexSpec.create',
    });
    expect(create?.Retry?.[0]?.ErrorEquals).toEqual(
      expect.arrayContaining(['DynamoDb.ResourceInUseException', 'DynamoDb.LimitExceededException']),
    );
  });

  it('matches the error names each integration raises: DynamoDb.* for aws-sdk:dynamodb, DynamoDB.* only for optimized ones', () => {
    const all = { ...States, ...segmentStates, ...(States['Verify segments']?.ItemProcessor?.States ?? {}) };
    const tasks = Object.entries(all).filter(([, state]) => state.Type === 'Task');
    const named = tasks.flatMap(([name, state]) =>
      [...(state.Retry ?? []), ...(state.Catch ?? [])].flatMap((rule) =>
        rule.ErrorEquals.filter((error) => error.includes('.') && !error.startsWith('States.')).map((error) => ({
          name,
          resource: state.Resource ?? '',
          error,
        })),
      ),
    );
    expect(named.length).toBeGreaterThan(10);
    for (const { name, resource, error } of named) {
      const sdk = /^arn:aws:states:::aws-sdk:(dynamodb|sfn):/.exec(resource)?.[1];
      const expected =
        sdk === 'dynamodb'
          ? 'DynamoDb.'
          : sdk === 'sfn'
            ? 'Sfn.'
            : resource.includes(':::dynamodb:')
              ? 'DynamoDB.'
              : 'Lambda.';
      expect({ name, error: error.slice(0, error.indexOf('.') + 1) }).toEqual({ name, error: expected });
      // Step Functions gives every SDK error name the Exception suffix, even where the service's has none.
      if (sdk) expect({ name, error }).toEqual({ name, error: expect.stringMatching(/Exception$/) });
    }
  });

  it("rolls back only when a segment's backfill failed (the child says so in its output); other backfill failures keep the index", () => {
    const catchers = States.Backfill?.Catch ?? [];
    // Not States.TaskFailed: in a Catch it matches every error but States.Timeout, StartExecution's refusals included.
    expect(catchers.map((c) => c.ErrorEquals)).toEqual([['SegmentBackfillFailed'], ['States.ALL']]);
    expect(catchers[0]?.Next).toBe('Did this run create the index?');
    expect(catchers[1]?.Next).toBe('Release the lock after failure');
    const inner = States.Backfill?.ItemProcessor?.States ?? {};
    expect(inner['Run segment']?.Next).toBe('Segment backfilled?');
    expect(inner['Segment backfill failed']).toMatchObject({ Type: 'Fail', Error: 'SegmentBackfillFailed' });
    // The child always succeeds: a backfill that keeps failing is caught and reported as `failed: true`.
    expect(segmentStates['Backfill segment']?.Catch).toEqual([
      expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'Segment failed' }),
    ]);
    expect(segmentStates['Segment failed']?.Parameters).toMatchObject({ failed: true });
    expect(segmentStates['Segment done']?.Parameters).toMatchObject({ failed: false });
  });

  it('retries a segment start refused at the running-executions limit or throttled', () => {
    const retry = States.Backfill?.ItemProcessor?.States['Run segment']?.Retry ?? [];
    expect(retry.flatMap((r) => r.ErrorEquals)).toEqual([
      'StepFunctions.ExecutionLimitExceeded',
      'StepFunctions.ThrottlingException',
    ]);
  });

  it('keeps the state small after verification: the segment samples are dropped and the report lists at most 20 failures', () => {
    expect(States['Finish verification']?.Next).toBe('Forget the segment counts');
    expect(States['Forget the segment counts']).toMatchObject({
      Type: 'Pass',
      Result: [],
      ResultPath: '$.verifiedSegments',
    });
  });

  it('bounds the wait for a rollback delete by maxPolls, releasing the lock when it runs out', () => {
    expect(States['Out of delete polls?']?.Choices).toEqual([
      expect.objectContaining({
        Variable: '$.polls.value',
        NumericGreaterThanPath: '$.maxPolls',
        Next: 'Index still being deleted',
      }),
    ]);
    expect(States['Index still being deleted']?.Next).toBe('Release the lock after failure');
    expect(States['Start polling the delete']?.Next).toBe('Wait for the index to go');
  });

  it.each(['Describe for rollback', 'Delete index', 'Describe after delete'])(
    '%s ends with the lock released when it fails for good',
    (step) => {
      expect(States[step]?.Catch).toEqual([
        expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'Release the lock after failure' }),
      ]);
    },
  );

  it.each([
    'Describe table',
    'Read control record',
    'Take the lock',
    'Describe index',
    'Mark verified',
    'Release the lock',
  ])('%s retries DynamoDB throttling and 5xx', (step) => {
    expect(States[step]?.Retry?.flatMap((retry) => retry.ErrorEquals)).toEqual(
      expect.arrayContaining([
        'DynamoDb.ProvisionedThroughputExceededException',
        'DynamoDb.InternalServerErrorException',
      ]),
    );
  });

  it('takes a per-table lock before it creates anything, and refuses while its holder runs', () => {
    expect(States['Already verified?']?.Default).toBe('Take the lock');
    expect(States['Take the lock']?.Next).toBe('Is the index present');
    expect(States['Take the lock']?.Catch).toEqual([
      expect.objectContaining({ ErrorEquals: ['DynamoDb.ConditionalCheckFailedException'], Next: 'Read the lock' }),
    ]);
    expect(States['Describe the lock holder']?.Resource).toBe('arn:aws:states:::aws-sdk:sfn:describeExecution');
    // An execution pending redrive may resume without taking the lock again: it still holds the table.
    expect(States['Lock holder running?']?.Choices).toEqual([
      {
        Or: [
          { Variable: '$.holder.status', StringEquals: 'RUNNING' },
          { Variable: '$.holder.status', StringEquals: 'PENDING_REDRIVE' },
        ],
        Next: 'Another execution is migrating the table',
      },
    ]);
  });

  it('creates the index only on a table opted in as outside CloudFormation; any other fails as IndexNotDeclared', () => {
    const choice = States['Table outside CloudFormation?'] as AslState & {
      Choices: { Or: { Variable: string; StringEquals: unknown }[]; Next: string }[];
    };
    expect(choice.Type).toBe('Choice');
    expect(choice.Choices).toEqual([
      { Or: [expect.objectContaining({ Variable: '$.tableName' })], Next: 'Create index' },
    ]);
    expect(choice.Default).toBe('Index not declared');
  });

  it('goes on when the lock it finds is its own (a retried put whose first answer was lost)', () => {
    expect(States['Is the table locked?']?.Choices).toEqual(
      expect.arrayContaining([
        {
          Variable: '$.lock.Item.holder.S',
          StringEqualsPath: '$$.Execution.Id',
          Next: 'Is the index present',
        },
      ]),
    );
  });

  it('takes the lock again when it vanished between the put and the read, as run by aws-local-stepfunctions too', async () => {
    // The Choice alone, its targets replaced by Pass states that say which one was taken.
    const choice = States['Is the table locked?'];
    const nexts = ((choice?.Choices ?? []) as { Next: string }[]).map((c) => c.Next);
    const targets = [...new Set([...nexts, choice?.Default ?? ''])];
    const definition = {
      StartAt: 'Is the table locked?',
      States: {
        'Is the table locked?': choice,
        ...Object.fromEntries(targets.map((name) => [name, { Type: 'Pass', Result: name, End: true }])),
      },
    };
    const run = (input: unknown) =>
      new StateMachine(definition as unknown as ConstructorParameters<typeof StateMachine>[0], {
        validationOptions: { checkPaths: false, checkArn: false },
      }).run(input as never, { context: { Execution: { Id: 'arn:execution:mine' } } }).result;

    await expect(run({ lock: {} })).resolves.toBe('Take the lock');
    await expect(run({ lock: { Item: { holder: { S: 'arn:execution:mine' } } } })).resolves.toBe(
      'Is the index present',
    );
  });

  it('counts the index as its own only after UpdateTable succeeded', () => {
    expect(States['Create index']?.Next).toBe('Remember the index is ours');
    expect(States['Create index']?.Catch?.[0]?.Next).toBe('Release the lock after failure');
  });

  it('loops through the states docs/MIGRATION.md counts history events for (Limits)', () => {
    const backfill = segmentStates;
    const verify = States['Verify segments']?.ItemProcessor?.States ?? {};
    const types = (states: Record<string, AslState>, names: string[]) => names.map((name) => states[name]?.Type);
    // A backfill invocation: Task 5 events, Choice 2, Pass 2 = 9.
    expect(types(backfill, ['Backfill segment', 'Segment finished?', 'Carry on from the last key'])).toEqual([
      'Task',
      'Choice',
      'Pass',
    ]);
    expect(backfill['Carry on from the last key']?.Next).toBe('Backfill segment');
    // A verification invocation: Task 5, Choice 2 = 7.
    expect(
      Object.values(verify)
        .map((state) => state.Type)
        .sort(),
    ).toEqual(['Choice', 'Succeed', 'Task']);
    // A poll while not ACTIVE: Wait 2, Task 5, Choice 2, Pass 2, Choice 2 = 13.
    expect(
      types(States, ['Wait for the index', 'Describe index', 'Index ACTIVE?', 'Count the poll', 'Out of polls?']),
    ).toEqual(['Wait', 'Task', 'Choice', 'Pass', 'Choice']);
    expect(States['Out of polls?']?.Default).toBe('Wait for the index');
  });

  it('polls with Wait, DescribeTable and a bounded Choice', () => {
    expect(States['Wait for the index']?.Type).toBe('Wait');
    expect(States['Describe index']?.Next).toBe('Is the index ACTIVE');
    expect(States['Is the index ACTIVE']).toMatchObject({
      Type: 'Pass',
      Parameters: { 'active.$': 'States.ArrayContains($.indexState.active, $.indexName)' },
      Next: 'Index ACTIVE?',
    });
    expect(States['Out of polls?']?.Type).toBe('Choice');
  });

  it('backfills in a Map over scan segments, each a child execution that loops until its segment is done', () => {
    expect(States.Backfill?.Type).toBe('Map');
    expect(States.Backfill?.ItemProcessor?.States['Run segment']?.Resource).toBe(
      'arn:aws:states:::states:startExecution.sync:2',
    );
    // A child runs as long as an execution may (7 days), never the 60 s local runners give a task without one.
    expect(States.Backfill?.ItemProcessor?.States['Run segment']?.TimeoutSeconds).toBe(7 * 24 * 3600);
    const inner = segmentStates;
    expect(Object.keys(inner)).toEqual(
      expect.arrayContaining(['Backfill segment', 'Segment finished?', 'Carry on from the last key']),
    );
    expect(inner['Carry on from the last key']?.Next).toBe('Backfill segment');
    expect(inner['Backfill segment']?.Retry?.flatMap((retry) => retry.ErrorEquals)).toEqual(
      expect.arrayContaining([
        'Lambda.ServiceException',
        'ProvisionedThroughputExceededException',
        'InternalServerError',
      ]),
    );
  });

  it('rolls back only on a definite failure (backfill, verification report), deleting only an index this run created', () => {
    expect(States.Backfill?.Catch?.[0]?.Next).toBe('Did this run create the index?');
    expect(States['Verification failed']?.Next).toBe('Did this run create the index?');
    expect(States['Delete index']?.Parameters).toMatchObject({
      'GlobalSecondaryIndexUpdates.$': '$.indexSpec.delete',
    });
    expect(States['Did this run create the index?']?.Choices).toEqual([
      expect.objectContaining({
        Variable: '$.createdByThisRun',
        BooleanEquals: true,
        Next: 'Read the lock before rollback',
      }),
    ]);
    // Only while this execution still holds the lock (a redriven one may have lost it to another).
    expect(States['Lock still ours?']?.Choices).toEqual([expect.objectContaining({ Next: 'Describe for rollback' })]);
    expect(States['Lock still ours?']?.Default).toBe('Lock held by another execution');
    expect(States['Is there an index to delete']?.Next).toBe('Anything to roll back?');
    expect(States['Is the index still there']?.Next).toBe('Index gone?');
  });

  it('verifies in a Map over the scan segments, each looping until done, then counts again only when asked', () => {
    expect(States['Verify segments']?.Type).toBe('Map');
    const inner = States['Verify segments']?.ItemProcessor?.States ?? {};
    expect(inner['Segment verified?']?.Default).toBe('Verify segment');
    expect(States['Verify index']?.Next).toBe('Verify segments');
    expect(States['Verify segments']?.Next).toBe('Finish verification');
    expect(States['Verified?']?.Choices).toEqual([
      expect.objectContaining({ Variable: '$.report.ok', Next: 'Mark verified' }),
      expect.objectContaining({ Variable: '$.report.recount', Next: 'Count again' }),
    ]);
  });

  it.each([
    'Create index',
    'Describe index',
    'Verify index',
    'Verify segments',
    'Finish verification',
    'Mark verified',
  ])('fails without deleting the index when %s fails (the outcome is in doubt)', (step) => {
    expect(States[step]?.Catch?.map((c) => c.Next)).toEqual(['Release the lock after failure']);
  });

  it('leaves an index that did not become ACTIVE in time building', () => {
    expect(States['Index did not become ACTIVE in time']?.Next).toBe('Release the lock after failure');
  });

  it('never creates or deletes the index of a table CloudFormation declares it on', () => {
    const cfnStack = new Stack(new App(), 'StackTable');
    const stackTable = new dynamodb.Table(cfnStack, 'Events', {
      partitionKey: { name: 'tenant_id', type: dynamodb.AttributeType.STRING },
    });
    const stub = (id: string) =>
      new lambda.Function(cfnStack, id, {
        runtime: lambda.Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler = async () => ({})'),
      });
    new EventIdIndexMigration(cfnStack, 'Migration', {
      tables: [stackTable],
      backfillFunction: stub('Backfill'),
      verifyFunction: stub('Verify'),
    });
    const cfnTemplate = Template.fromStack(cfnStack);
    const states = definitionOf(cfnTemplate).States;
    expect(Object.values(states).filter((state) => state.Resource?.endsWith(':updateTable'))).toEqual([]);
    expect(states['Index not declared']?.Next).toBe('Release the lock after failure');
    expect(JSON.stringify(cfnTemplate.findResources('AWS::IAM::Policy'))).not.toMatch(/updateTable/i);
  });

  it('logs executions and traces them with X-Ray', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
    });
  });

  it("delivers its logs, and its segment executions' logs, to groups under /aws/vendedlogs/states/", () => {
    const names = Object.values(template.findResources('AWS::Logs::LogGroup')).map(
      (group) => (group as { Properties: { LogGroupName?: string } }).Properties.LogGroupName,
    );
    expect(names).toHaveLength(2);
    for (const name of names) expect(name).toMatch(/^\/aws\/vendedlogs\/states\//);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 2);
  });
});
