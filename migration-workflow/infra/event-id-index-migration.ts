import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { CONTROL_TENANT, EVENT_ID_INDEX_CONTROL_SK } from '../../api/src/store/event-id-index-control';
import { EVENT_ID_INDEX } from '../../api/src/store/table-schemas';
import { createEventIdIndexRequest } from '../src/handlers/create-index-request';

export interface EventIdIndexMigrationProps {
  /** The events table the migration adds `event-id-index` to. */
  readonly table: ITable;
  /** Backfills one scan segment; input `{tableName, segment, totalSegments, maxWritesPerSecond, exclusiveStartKey?}`, output `{done, lastEvaluatedKey?, ...counts}`. */
  readonly backfillFunction: IFunction;
  /** Verifies the index; input `{tableName}`, output `{ok, ...report}`. */
  readonly verifyFunction: IFunction;
}

/** Errors DynamoDB answers while a table is busy or over its limits: worth retrying. */
const BUSY_ERRORS = [
  'DynamoDB.ResourceInUseException',
  'DynamoDB.LimitExceededException',
  'DynamoDB.ThrottlingException',
];

/**
 * Errors of one backfill invocation worth retrying besides the Lambda service errors LambdaInvoke
 * retries by default: Lambda throttling, and DynamoDB throttling or 5xx inside the function.
 */
const BACKFILL_RETRYABLE = [
  'Lambda.TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
];

/**
 * The Step Functions state machine of DESIGN §10: preflight -> create index -> poll until ACTIVE ->
 * backfill in a Map over scan segments -> verify -> mark verified; rolls back an index it created
 * when a later step fails. Input: `{tableName, indexName?, totalSegments, maxWritesPerSecond, pollIntervalSeconds, maxPolls}`.
 */
export class EventIdIndexMigration extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: EventIdIndexMigrationProps) {
    super(scope, id);
    const tableResource = props.table.tableArn;
    const dynamodb = (name: string, action: string, parameters: Record<string, unknown>, resultPath: string) =>
      new tasks.CallAwsService(this, name, {
        service: 'dynamodb',
        action,
        parameters,
        iamResources: [tableResource],
        resultPath,
      });

    // DescribeTable keeping only the index names, at `resultPath`. Intrinsic functions take plain paths
    // only, so the names are projected by the result selector (the table always has inbox-index).
    const describeIndexNames = (name: string, resultPath: string) => {
      const describeTable = new tasks.CallAwsService(this, name, {
        service: 'dynamodb',
        action: 'describeTable',
        parameters: { 'TableName.$': '$.tableName' },
        iamResources: [tableResource],
        resultSelector: { 'indexNames.$': '$.Table.GlobalSecondaryIndexes[*].IndexName' },
        resultPath,
      });
      describeTable.addRetry({ errors: BUSY_ERRORS, maxAttempts: 10, backoffRate: 2, interval: Duration.seconds(2) });
      return describeTable;
    };

    // Preflight: already verified (no-op), index present from an earlier run (resume), or create it.
    const describe = describeIndexNames('Describe table', '$.describe');
    const readControl = dynamodb(
      'Read control record',
      'getItem',
      {
        'TableName.$': '$.tableName',
        Key: { tenant_id: { S: CONTROL_TENANT }, sk: { S: EVENT_ID_INDEX_CONTROL_SK } },
        ConsistentRead: true,
      },
      '$.control',
    );
    const indexPresent = new sfn.Pass(this, 'Is the index present', {
      parameters: {
        'present.$': `States.ArrayContains($.describe.indexNames, '${EVENT_ID_INDEX}')`,
      },
      resultPath: '$.index',
    });
    const alreadyDone = new sfn.Succeed(this, 'Already verified', { comment: 'Re-running after success is a no-op' });

    const createdByThisRun = new sfn.Pass(this, 'Remember the index is ours', {
      result: sfn.Result.fromBoolean(true),
      resultPath: '$.createdByThisRun',
    });
    const resumed = new sfn.Pass(this, 'Resume with the existing index', {
      result: sfn.Result.fromBoolean(false),
      resultPath: '$.createdByThisRun',
    });
    // The same UpdateTable request the handlers' tests send, with the table name from the input.
    const { AttributeDefinitions, GlobalSecondaryIndexUpdates } = createEventIdIndexRequest('');
    const createIndex = dynamodb(
      'Create index',
      'updateTable',
      { 'TableName.$': '$.tableName', AttributeDefinitions, GlobalSecondaryIndexUpdates },
      sfn.JsonPath.DISCARD,
    );
    createIndex.addRetry({ errors: BUSY_ERRORS, maxAttempts: 6, backoffRate: 2, interval: Duration.seconds(5) });

    // Poll until ACTIVE: Wait + DescribeTable + Choice, bounded by maxPolls (no .sync for these calls).
    const startPolling = new sfn.Pass(this, 'Start polling', { parameters: { value: 0 }, resultPath: '$.polls' });
    const wait = new sfn.Wait(this, 'Wait for the index', { time: sfn.WaitTime.secondsPath('$.pollIntervalSeconds') });
    const describeIndex = new tasks.CallAwsService(this, 'Describe index', {
      service: 'dynamodb',
      action: 'describeTable',
      parameters: { 'TableName.$': '$.tableName' },
      iamResources: [tableResource],
      resultSelector: {
        'status.$': `$.Table.GlobalSecondaryIndexes[?(@.IndexName == '${EVENT_ID_INDEX}')].IndexStatus`,
      },
      resultPath: '$.indexState',
    });
    const countPoll = new sfn.Pass(this, 'Count the poll', {
      parameters: { 'value.$': 'States.MathAdd($.polls.value, 1)' },
      resultPath: '$.polls',
    });
    const timedOut = new sfn.Pass(this, 'Index did not become ACTIVE in time', {
      parameters: { Error: 'IndexNotActive', Cause: 'event-id-index did not become ACTIVE within maxPolls polls' },
      resultPath: '$.failure',
    });

    // Backfill: one Map iteration per scan segment, each looping over its time-boxed invocations.
    const segments = new sfn.Pass(this, 'List scan segments', {
      parameters: { 'segments.$': 'States.ArrayRange(0, States.MathAdd($.totalSegments, -1), 1)' },
      resultPath: '$.plan',
    });
    const backfillOnce = new tasks.LambdaInvoke(this, 'Backfill segment', {
      lambdaFunction: props.backfillFunction,
      payloadResponseOnly: true,
      resultPath: '$.progress',
    });
    backfillOnce.addRetry({
      errors: BACKFILL_RETRYABLE,
      maxAttempts: 6,
      backoffRate: 2,
      interval: Duration.seconds(2),
    });
    const carryOn = new sfn.Pass(this, 'Carry on from the last key', {
      parameters: {
        'tableName.$': '$.tableName',
        'segment.$': '$.segment',
        'totalSegments.$': '$.totalSegments',
        'maxWritesPerSecond.$': '$.maxWritesPerSecond',
        'exclusiveStartKey.$': '$.progress.lastEvaluatedKey',
      },
    });
    const segmentDone = new sfn.Succeed(this, 'Segment done');
    const backfillLoop = backfillOnce.next(
      new sfn.Choice(this, 'Segment finished?')
        .when(sfn.Condition.booleanEquals('$.progress.done', true), segmentDone)
        .otherwise(carryOn.next(backfillOnce)),
    );
    const backfill = new sfn.Map(this, 'Backfill', {
      itemsPath: '$.plan.segments',
      itemSelector: {
        'tableName.$': '$.tableName',
        'segment.$': '$$.Map.Item.Value',
        'totalSegments.$': '$.totalSegments',
        'maxWritesPerSecond.$': '$.maxWritesPerSecond',
      },
      resultPath: sfn.JsonPath.DISCARD,
    });
    backfill.itemProcessor(backfillLoop);

    const verify = new tasks.LambdaInvoke(this, 'Verify index', {
      lambdaFunction: props.verifyFunction,
      payloadResponseOnly: true,
      payload: sfn.TaskInput.fromObject({ 'tableName.$': '$.tableName' }),
      resultPath: '$.report',
    });
    // The table named in the input, as every other state: the definition never names a table of its own.
    const markVerified = dynamodb(
      'Mark verified',
      'putItem',
      {
        'TableName.$': '$.tableName',
        Item: {
          tenant_id: { S: CONTROL_TENANT },
          sk: { S: EVENT_ID_INDEX_CONTROL_SK },
          status: { S: 'verified' },
          verified_at: { 'S.$': '$$.State.EnteredTime' },
          verified_by: { 'S.$': '$$.Execution.Name' },
        },
      },
      sfn.JsonPath.DISCARD,
    );
    const succeeded = new sfn.Succeed(this, 'Index verified', { outputPath: '$.report' });
    const verificationFailed = new sfn.Pass(this, 'Verification failed', {
      parameters: { Error: 'VerificationFailed', 'Cause.$': 'States.JsonToString($.report)' },
      resultPath: '$.failure',
    });

    // Rollback: only an index this run created is deleted, if it exists at all (the create call may
    // have been refused); then fail with the original cause.
    const failed = new sfn.Fail(this, 'Migration failed', {
      errorPath: '$.failure.Error',
      causePath: '$.failure.Cause',
    });
    const isIndexPresent = (describeName: string, checkName: string) =>
      describeIndexNames(describeName, '$.rollback').next(
        new sfn.Pass(this, checkName, {
          parameters: { 'present.$': `States.ArrayContains($.rollback.indexNames, '${EVENT_ID_INDEX}')` },
          resultPath: '$.rollback',
        }),
      );
    const deleteIndex = dynamodb(
      'Delete index',
      'updateTable',
      { 'TableName.$': '$.tableName', GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: EVENT_ID_INDEX } }] },
      sfn.JsonPath.DISCARD,
    );
    deleteIndex.addRetry({ errors: BUSY_ERRORS, maxAttempts: 10, backoffRate: 2, interval: Duration.seconds(5) });
    const waitGone = new sfn.Wait(this, 'Wait for the index to go', {
      time: sfn.WaitTime.secondsPath('$.pollIntervalSeconds'),
    });
    waitGone
      .next(isIndexPresent('Describe after delete', 'Is the index still there'))
      .next(
        new sfn.Choice(this, 'Index gone?')
          .when(sfn.Condition.booleanEquals('$.rollback.present', false), failed)
          .otherwise(waitGone),
      );
    const rollbackChoice = new sfn.Choice(this, 'Did this run create the index?')
      .when(
        sfn.Condition.booleanEquals('$.createdByThisRun', true),
        isIndexPresent('Describe for rollback', 'Is there an index to delete').next(
          new sfn.Choice(this, 'Anything to roll back?')
            .when(sfn.Condition.booleanEquals('$.rollback.present', true), deleteIndex.next(waitGone))
            .otherwise(failed),
        ),
      )
      .otherwise(failed);
    for (const step of [createIndex, describeIndex, backfill, verify, markVerified]) {
      step.addCatch(rollbackChoice, { resultPath: '$.failure' });
    }
    timedOut.next(rollbackChoice);
    verificationFailed.next(rollbackChoice);

    const poll = startPolling
      .next(wait)
      .next(describeIndex)
      .next(
        new sfn.Choice(this, 'Index ACTIVE?')
          .when(
            sfn.Condition.and(
              sfn.Condition.isPresent('$.indexState.status[0]'),
              sfn.Condition.stringEquals('$.indexState.status[0]', 'ACTIVE'),
            ),
            segments
              .next(backfill)
              .next(verify)
              .next(
                new sfn.Choice(this, 'Verified?')
                  .when(sfn.Condition.booleanEquals('$.report.ok', true), markVerified.next(succeeded))
                  .otherwise(verificationFailed),
              ),
          )
          .otherwise(
            countPoll.next(
              new sfn.Choice(this, 'Out of polls?')
                .when(sfn.Condition.numberGreaterThanJsonPath('$.polls.value', '$.maxPolls'), timedOut)
                .otherwise(wait),
            ),
          ),
      );

    // The index name is an input so that the execution says what it builds; only the index the API
    // reads (with the API's key schema) can be built.
    const checkIndexName = new sfn.Choice(this, 'Supported index?')
      .when(
        sfn.Condition.and(
          sfn.Condition.isPresent('$.indexName'),
          sfn.Condition.not(sfn.Condition.stringEquals('$.indexName', EVENT_ID_INDEX)),
        ),
        new sfn.Fail(this, 'Unsupported index', {
          error: 'UnsupportedIndex',
          cause: `This state machine builds ${EVENT_ID_INDEX}, the index the API reads; indexName must be ${EVENT_ID_INDEX}`,
        }),
      )
      .otherwise(describe);
    describe
      .next(readControl)
      .next(
        new sfn.Choice(this, 'Already verified?')
          .when(
            sfn.Condition.and(
              sfn.Condition.isPresent('$.control.Item.status.S'),
              sfn.Condition.stringEquals('$.control.Item.status.S', 'verified'),
            ),
            alreadyDone,
          )
          .otherwise(
            indexPresent.next(
              new sfn.Choice(this, 'Index present?')
                .when(sfn.Condition.booleanEquals('$.index.present', true), resumed.next(poll))
                .otherwise(createdByThisRun.next(createIndex).next(poll)),
            ),
          ),
      );

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(checkIndexName),
      timeout: Duration.hours(24),
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, 'ExecutionLogs', { retention: logs.RetentionDays.ONE_MONTH }),
        level: sfn.LogLevel.ALL,
        includeExecutionData: true,
      },
    });
  }
}
