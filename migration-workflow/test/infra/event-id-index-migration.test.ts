import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import aslValidator from 'asl-validator';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { EventIdIndexMigration } from '../../infra/event-id-index-migration';
import { aslFromTemplate } from '../../infra/migration-definition';

interface AslState {
  Type: string;
  Next?: string;
  Retry?: { ErrorEquals: string[] }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  Parameters?: Record<string, unknown>;
  Choices?: unknown[];
  Default?: string;
  Error?: string;
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
    table,
    backfillFunction: fn('Backfill'),
    verifyFunction: fn('Verify'),
  });
  const template = Template.fromStack(stack);
  const { StartAt, States } = definitionOf(template);

  it('synthesizes a definition that passes asl-validator (schema, paths and ARNs)', () => {
    const result = aslValidator(aslFromTemplate(template), { checkPaths: true, checkArn: true });
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('fails at once, with a cause saying why, when asked to build another index', () => {
    expect(StartAt).toBe('Supported index?');
    expect(States['Unsupported index']).toMatchObject({ Type: 'Fail', Error: 'UnsupportedIndex' });
  });

  it('starts with the preflight and ends in success, a no-op, or a failure', () => {
    expect(States['Supported index?']?.Default).toBe('Describe table');
    expect(States['Already verified']?.Type).toBe('Succeed');
    expect(States['Index verified']?.Type).toBe('Succeed');
    expect(States['Migration failed']?.Type).toBe('Fail');
  });

  it('creates the index with one UpdateTable call and retries while the table is busy', () => {
    const create = States['Create index'];
    expect(create?.Parameters).toMatchObject({
      GlobalSecondaryIndexUpdates: [{ Create: { IndexName: 'event-id-index', Projection: { ProjectionType: 'ALL' } } }],
    });
    expect(create?.Retry?.[0]?.ErrorEquals).toEqual(
      expect.arrayContaining(['DynamoDB.ResourceInUseException', 'DynamoDB.LimitExceededException']),
    );
  });

  it('polls with Wait, DescribeTable and a bounded Choice', () => {
    expect(States['Wait for the index']?.Type).toBe('Wait');
    expect(States['Describe index']?.Next).toBe('Index ACTIVE?');
    expect(States['Out of polls?']?.Type).toBe('Choice');
  });

  it('backfills in a Map over scan segments that loops each segment until it is done', () => {
    expect(States.Backfill?.Type).toBe('Map');
    const inner = States.Backfill?.ItemProcessor?.States ?? {};
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

  it('sends every failure after the index may exist to the rollback, which deletes only an index this run created', () => {
    for (const step of ['Create index', 'Describe index', 'Backfill', 'Verify index', 'Mark verified']) {
      expect(States[step]?.Catch?.[0]?.Next).toBe('Did this run create the index?');
    }
    expect(States['Delete index']?.Parameters).toMatchObject({
      GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: 'event-id-index' } }],
    });
    // The create call may have been refused: the rollback looks before it deletes.
    expect(States['Did this run create the index?']?.Choices).toEqual([
      expect.objectContaining({ Variable: '$.createdByThisRun', BooleanEquals: true, Next: 'Describe for rollback' }),
    ]);
    expect(States['Is there an index to delete']?.Next).toBe('Anything to roll back?');
    expect(States['Is the index still there']?.Next).toBe('Index gone?');
  });

  it('logs executions and traces them with X-Ray', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
    });
  });
});
