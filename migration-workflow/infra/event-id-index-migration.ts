import { ArnFormat, Duration, Names, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import {
  CONTROL_TENANT,
  ControlAttr,
  EVENT_ID_INDEX_CONTROL_SK,
  LockAttr,
  MIGRATION_LOCK_SK,
  VERIFIED,
} from '../../contract/control-record';
import { EVENT_ID_INDEX } from '../../contract/table-schemas';
import { createEventIdIndexRequest } from '../../contract/event-id-index-request';

export interface EventIdIndexMigrationProps {
  /**
   * Every events table the migration serves: it reads, backfills, verifies, locks and marks them. A table
   * whose index CloudFormation declares belongs here only: the migration verifies and marks its index.
   */
  readonly tables: ITable[];
  /**
   * Of `tables`, those outside CloudFormation (legacy tables): the only ones the migration may add
   * `event-id-index` to, and so the only ones whose index a rollback may delete. Default: none; a table
   * without the index then fails at once (`IndexNotDeclared`) instead of getting one CloudFormation does not know.
   */
  readonly indexOwnedTables?: ITable[];
  /** Backfills one scan segment; input `{tableName, segment, totalSegments, maxWritesPerSecond, exclusiveStartKey?}`, output `{done, lastEvaluatedKey?, ...counts}`. */
  readonly backfillFunction: IFunction;
  /** Verifies the index; input `{tableName}`, output `{ok, ...report}`. */
  readonly verifyFunction: IFunction;
  /** Physical name of the state machine (its executions' ARNs are granted by name). Default: a unique name from the construct path. */
  readonly stateMachineName?: string;
}

/**
 * Step Functions names the errors of an AWS SDK service integration (`arn:aws:states:::aws-sdk:dynamodb:*`)
 * `DynamoDb.<Exception>`, the service name in Pascal case; only the optimized integrations
 * (`arn:aws:states:::dynamodb:putItem` etc.) say `DynamoDB.`. Matching is case-sensitive, so these lists
 * hold the names the aws-sdk integrations this definition uses actually raise.
 */
export const SDK_ERROR_PREFIX = { dynamodb: 'DynamoDb', sfn: 'Sfn' } as const;

/** Transient answers of any DynamoDB call: throttling and 5xx (the SDK names a 500 `InternalServerErrorException`). */
export const DYNAMODB_TRANSIENT_ERRORS = [
  'DynamoDb.ProvisionedThroughputExceededException',
  'DynamoDb.ThrottlingException',
  // Step Functions gives every SDK error name the `Exception` suffix, even where the service's own name has none.
  'DynamoDb.RequestLimitExceededException',
  'DynamoDb.InternalServerErrorException',
];

/** Errors UpdateTable answers while the table is busy (another index change) or at its limits: worth retrying. */
export const DYNAMODB_BUSY_ERRORS = [
  'DynamoDb.ResourceInUseException',
  'DynamoDb.LimitExceededException',
  ...DYNAMODB_TRANSIENT_ERRORS,
];

/**
 * Most scan segments per execution: an inline Map runs at most 40 iterations at once, and every segment
 * must run at once for the write-rate share each takes (`maxWritesPerSecond / totalSegments`) to hold.
 */
export const MAX_SEGMENTS = 40;

/** How long an execution may run before Step Functions stops it (a standard workflow allows a year). */
export const EXECUTION_TIMEOUT_DAYS = 7;

/** Where the lock item's holder lands when the lock is read. */
const LOCK_HOLDER = `$.lock.Item.${LockAttr.holder}.S`;
const ROLLBACK_LOCK_HOLDER = `$.rollbackLock.Item.${LockAttr.holder}.S`;

/** True when `path` holds a number from `min` to `max`. */
function numberInRange(path: string, min: number, max: number): sfn.Condition {
  return sfn.Condition.and(
    sfn.Condition.isPresent(path),
    sfn.Condition.isNumeric(path),
    sfn.Condition.numberGreaterThanEquals(path, min),
    sfn.Condition.numberLessThanEquals(path, max),
  );
}

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
 * The Step Functions state machine of DESIGN §10: preflight -> lock the table -> create index -> poll
 * until ACTIVE -> backfill in a Map over scan segments -> verify -> mark verified. Only a definite
 * failure (a backfill that keeps failing, a verification report that is not ok) rolls back, and only an
 * index this execution's UpdateTable call created; in doubt it fails and leaves the index.
 * Input: `{tableName, indexName?, totalSegments, maxWritesPerSecond, pollIntervalSeconds, maxPolls}`.
 */
export class EventIdIndexMigration extends Construct {
  readonly stateMachine: sfn.StateMachine;
  /** Backfills one scan segment to its end; the main state machine runs one child execution per segment. */
  readonly segmentStateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: EventIdIndexMigrationProps) {
    super(scope, id);
    if (props.tables.length === 0)
      throw new Error('EventIdIndexMigration: tables must name at least one table; received none');
    const tableArns = props.tables.map((table) => table.tableArn);
    const ownedArns = (props.indexOwnedTables ?? []).map((table) => table.tableArn);
    const stateMachineName = props.stateMachineName ?? Names.uniqueResourceName(this, { maxLength: 80 });
    const dynamodb = (
      name: string,
      action: string,
      parameters: Record<string, unknown>,
      resultPath: string,
      iamResources: string[] = tableArns,
    ) => {
      const task = new tasks.CallAwsService(this, name, {
        service: 'dynamodb',
        action,
        parameters,
        iamResources,
        resultPath,
      });
      return task;
    };
    const transientRetry = {
      errors: DYNAMODB_TRANSIENT_ERRORS,
      maxAttempts: 6,
      backoffRate: 2,
      interval: Duration.seconds(2),
    };

    // DescribeTable keeping only the index names, at `resultPath`. Intrinsic functions take plain paths
    // only, so the names are projected by the result selector (the table always has inbox-index).
    const describeIndexNames = (name: string, resultPath: string) => {
      const describeTable = new tasks.CallAwsService(this, name, {
        service: 'dynamodb',
        action: 'describeTable',
        parameters: { 'TableName.$': '$.tableName' },
        iamResources: tableArns,
        resultSelector: { 'indexNames.$': '$.Table.GlobalSecondaryIndexes[*].IndexName' },
        resultPath,
      });
      describeTable.addRetry({ ...transientRetry, maxAttempts: 10 });
      return describeTable;
    };

    // Ends. A failure is recorded at $.failure; every end after the lock was taken releases it first.
    const failed = new sfn.Fail(this, 'Migration failed', {
      errorPath: '$.failure.Error',
      causePath: '$.failure.Cause',
    });
    const succeeded = new sfn.Succeed(this, 'Index verified', { outputPath: '$.report' });
    const lockKey = { tenant_id: { S: CONTROL_TENANT }, sk: { S: MIGRATION_LOCK_SK } };
    const releaseLock = (name: string, next: sfn.IChainable) => {
      const release = dynamodb(
        name,
        'deleteItem',
        {
          'TableName.$': '$.tableName',
          Key: lockKey,
          ConditionExpression: `${LockAttr.holder} = :me`,
          ExpressionAttributeValues: { ':me': { 'S.$': '$$.Execution.Id' } },
        },
        sfn.JsonPath.DISCARD,
      );
      release.addRetry(transientRetry);
      // A lock left behind is taken over by the next execution once this one has ended.
      release.addCatch(next, { resultPath: sfn.JsonPath.DISCARD });
      return release.next(next);
    };
    const failAndRelease = releaseLock('Release the lock after failure', failed);
    const succeedAndRelease = releaseLock('Release the lock', succeeded);

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
    readControl.addRetry(transientRetry);
    const alreadyDone = new sfn.Succeed(this, 'Already verified', { comment: 'Re-running after success is a no-op' });

    // One execution per table: a conditional put of a lock item naming this execution. A lock held by an
    // execution that has ended (failed, stopped, timed out) is taken over; one still running refuses.
    const lockItem = {
      ...lockKey,
      [LockAttr.holder]: { 'S.$': '$$.Execution.Id' },
      [LockAttr.lockedAt]: { 'S.$': '$$.Execution.StartTime' },
    };
    const alreadyRunning = new sfn.Pass(this, 'Another execution is migrating the table', {
      parameters: {
        Error: 'MigrationAlreadyRunning',
        'Cause.$': `States.Format('Execution {} is migrating table {}; wait for it to end, or stop it', ${LOCK_HOLDER}, $.tableName)`,
      },
      resultPath: '$.failure',
    }).next(failed);
    const lockUnknown = new sfn.Pass(this, 'Lock holder unknown', {
      parameters: {
        Error: 'MigrationAlreadyRunning',
        'Cause.$':
          `States.Format('Table {} is locked by {}, whose state could not be read; delete the lock item (sk {}) if no execution is running', $.tableName, ${LOCK_HOLDER}, '` +
          MIGRATION_LOCK_SK +
          "')",
      },
      resultPath: '$.failure',
    }).next(failed);
    const takeLock = dynamodb(
      'Take the lock',
      'putItem',
      { 'TableName.$': '$.tableName', Item: lockItem, ConditionExpression: 'attribute_not_exists(sk)' },
      sfn.JsonPath.DISCARD,
    );
    takeLock.addRetry(transientRetry);
    const readLock = dynamodb(
      'Read the lock',
      'getItem',
      { 'TableName.$': '$.tableName', Key: lockKey, ConsistentRead: true },
      '$.lock',
    );
    readLock.addRetry(transientRetry);
    const describeHolder = new tasks.CallAwsService(this, 'Describe the lock holder', {
      service: 'sfn',
      action: 'describeExecution',
      iamAction: 'states:DescribeExecution',
      parameters: { 'ExecutionArn.$': LOCK_HOLDER },
      iamResources: [
        Stack.of(this).formatArn({
          service: 'states',
          resource: 'execution',
          resourceName: `${stateMachineName}:*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      resultSelector: { 'status.$': '$.Status' },
      resultPath: '$.holder',
    });
    describeHolder.addRetry({
      // Throttling, and any error the SDK does not model (Step Functions names those `Sfn.SfnException`).
      errors: ['Sfn.ThrottlingException', 'Sfn.SfnException'],
      maxAttempts: 6,
      interval: Duration.seconds(2),
      backoffRate: 2,
    });
    describeHolder.addCatch(lockUnknown, { resultPath: '$.holderError' });
    const takeOverLock = dynamodb(
      'Take over the lock',
      'putItem',
      {
        'TableName.$': '$.tableName',
        Item: lockItem,
        ConditionExpression: `${LockAttr.holder} = :previous`,
        ExpressionAttributeValues: { ':previous': { 'S.$': LOCK_HOLDER } },
      },
      sfn.JsonPath.DISCARD,
    );
    takeOverLock.addRetry(transientRetry);
    takeOverLock.addCatch(readLock, {
      errors: ['DynamoDb.ConditionalCheckFailedException'],
      resultPath: sfn.JsonPath.DISCARD,
    });
    const indexPresent = new sfn.Pass(this, 'Is the index present', {
      parameters: { 'present.$': `States.ArrayContains($.describe.indexNames, '${EVENT_ID_INDEX}')` },
      resultPath: '$.index',
    });
    // The lock vanished between the put and the read (its holder just released it): try again.
    takeLock.addCatch(
      readLock.next(
        new sfn.Choice(this, 'Is the table locked?')
          .when(sfn.Condition.isNotPresent(LOCK_HOLDER), takeLock)
          // A retried put whose first answer was lost finds the lock already ours.
          .when(sfn.Condition.stringEqualsJsonPath(LOCK_HOLDER, '$$.Execution.Id'), indexPresent)
          .otherwise(
            describeHolder.next(
              new sfn.Choice(this, 'Lock holder running?')
                // An execution waiting to be redriven may run again, from where it stopped, without the lock
                // check: it still holds the table (docs/MIGRATION.md says to start a new one instead).
                .when(
                  sfn.Condition.or(
                    sfn.Condition.stringEquals('$.holder.status', 'RUNNING'),
                    sfn.Condition.stringEquals('$.holder.status', 'PENDING_REDRIVE'),
                  ),
                  alreadyRunning,
                )
                .otherwise(takeOverLock),
            ),
          ),
      ),
      { errors: ['DynamoDb.ConditionalCheckFailedException'], resultPath: sfn.JsonPath.DISCARD },
    );

    const resumed = new sfn.Pass(this, 'Resume with the existing index', {
      result: sfn.Result.fromBoolean(false),
      resultPath: '$.createdByThisRun',
    });

    // Poll until ACTIVE: Wait + DescribeTable + Choice, bounded by maxPolls (no .sync for these calls).
    const startPolling = new sfn.Pass(this, 'Start polling', { parameters: { value: 0 }, resultPath: '$.polls' });
    const wait = new sfn.Wait(this, 'Wait for the index', { time: sfn.WaitTime.secondsPath('$.pollIntervalSeconds') });
    const describeIndex = new tasks.CallAwsService(this, 'Describe index', {
      service: 'dynamodb',
      action: 'describeTable',
      parameters: { 'TableName.$': '$.tableName' },
      iamResources: tableArns,
      resultSelector: {
        'status.$': `$.Table.GlobalSecondaryIndexes[?(@.IndexName == '${EVENT_ID_INDEX}')].IndexStatus`,
      },
      resultPath: '$.indexState',
    });
    describeIndex.addRetry({ ...transientRetry, maxAttempts: 10 });
    const countPoll = new sfn.Pass(this, 'Count the poll', {
      parameters: { 'value.$': 'States.MathAdd($.polls.value, 1)' },
      resultPath: '$.polls',
    });
    // The index may still be building: it is left to finish, and a later run resumes with it.
    const timedOut = new sfn.Pass(this, 'Index did not become ACTIVE in time', {
      parameters: {
        Error: 'IndexNotActive',
        Cause: `${EVENT_ID_INDEX} did not become ACTIVE within maxPolls polls; it is left building: start again to resume with it`,
      },
      resultPath: '$.failure',
    });

    // Create: only on a table outside CloudFormation. The index is ours only once UpdateTable succeeded;
    // a create that fails (even one whose answer was lost) leaves whatever exists alone.
    const notDeclared = new sfn.Pass(this, 'Index not declared', {
      parameters: {
        Error: 'IndexNotDeclared',
        'Cause.$': `States.Format('Table {} has no ${EVENT_ID_INDEX}: deploy the stack that declares it, then run the migration to verify it', $.tableName)`,
      },
      resultPath: '$.failure',
    }).next(failAndRelease);
    let createBranch: sfn.IChainable;
    if (ownedArns.length > 0) {
      const { AttributeDefinitions, GlobalSecondaryIndexUpdates } = createEventIdIndexRequest('');
      const createIndex = dynamodb(
        'Create index',
        'updateTable',
        { 'TableName.$': '$.tableName', AttributeDefinitions, GlobalSecondaryIndexUpdates },
        sfn.JsonPath.DISCARD,
        ownedArns,
      );
      createIndex.addRetry({
        errors: DYNAMODB_BUSY_ERRORS,
        maxAttempts: 6,
        backoffRate: 2,
        interval: Duration.seconds(5),
      });
      createIndex.addCatch(failAndRelease, { resultPath: '$.failure' });
      const createdByThisRun = new sfn.Pass(this, 'Remember the index is ours', {
        result: sfn.Result.fromBoolean(true),
        resultPath: '$.createdByThisRun',
      });
      // The grant already confines UpdateTable to these tables; the choice makes any other table (the stack's
      // own) fail as IndexNotDeclared, as it does when no table is opted in, instead of with AccessDenied.
      const ownedNames = (props.indexOwnedTables ?? []).map((table) => table.tableName);
      createBranch = new sfn.Choice(this, 'Table outside CloudFormation?')
        .when(
          sfn.Condition.or(...ownedNames.map((name) => sfn.Condition.stringEquals('$.tableName', name))),
          createIndex.next(createdByThisRun).next(startPolling),
        )
        .otherwise(notDeclared);
    } else {
      createBranch = notDeclared;
    }

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
    // The child execution always succeeds and says in its output whether the backfill failed: the parent
    // can then tell a definite failure (roll back) from a child that could not run or was stopped (in doubt).
    const segmentDone = new sfn.Pass(this, 'Segment done', {
      parameters: { failed: false, 'segment.$': '$.segment' },
    });
    const segmentFailed = new sfn.Pass(this, 'Segment failed', {
      parameters: {
        failed: true,
        'segment.$': '$.segment',
        'cause.$':
          "States.Format('Segment {} of {}: {}: {}', $.segment, $.totalSegments, $.failure.Error, $.failure.Cause)",
      },
    });
    backfillOnce.addCatch(segmentFailed, { resultPath: '$.failure' });
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
    // Each segment runs as a child execution with its own history: one execution's 25,000 history events
    // would otherwise end a long backfill (docs/MIGRATION.md, "Limits").
    const segmentStateMachineName = `${stateMachineName}-segment`;
    segmentFailed.next(new sfn.Succeed(this, 'Segment ended'));
    const segmentMachine = new sfn.StateMachine(this, 'SegmentStateMachine', {
      stateMachineName: segmentStateMachineName,
      definitionBody: sfn.DefinitionBody.fromChainable(backfillLoop),
      timeout: Duration.days(EXECUTION_TIMEOUT_DAYS),
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, 'SegmentExecutionLogs', {
          logGroupName: `/aws/vendedlogs/states/${segmentStateMachineName}`,
          retention: logs.RetentionDays.ONE_MONTH,
        }),
        level: sfn.LogLevel.ALL,
        includeExecutionData: true,
      },
    });
    this.segmentStateMachine = segmentMachine;
    const runSegment = new tasks.StepFunctionsStartExecution(this, 'Run segment', {
      stateMachine: segmentMachine,
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      // Not associated with the parent: that would add its id to the input the backfill function receives.
      associateWithParent: false,
      // As long as the child may run. Said explicitly: a task without TimeoutSeconds is unbounded in AWS,
      // but local Step Functions runners give it 60 s, which a segment of a large table outlasts.
      taskTimeout: sfn.Timeout.duration(Duration.days(EXECUTION_TIMEOUT_DAYS)),
      input: sfn.TaskInput.fromObject({
        'tableName.$': '$.tableName',
        'segment.$': '$.segment',
        'totalSegments.$': '$.totalSegments',
        'maxWritesPerSecond.$': '$.maxWritesPerSecond',
      }),
      resultSelector: { 'outcome.$': '$.Output' },
      resultPath: '$.run',
    });
    // Not started: the account's running-executions limit, or throttling. Retried for up to ~40 minutes.
    runSegment.addRetry({
      errors: ['StepFunctions.ExecutionLimitExceeded', 'StepFunctions.ThrottlingException'],
      maxAttempts: 12,
      backoffRate: 2,
      interval: Duration.seconds(5),
      maxDelay: Duration.minutes(5),
    });
    backfill.itemProcessor(
      runSegment.next(
        new sfn.Choice(this, 'Segment backfilled?')
          .when(sfn.Condition.booleanEquals('$.run.outcome.failed', false), new sfn.Succeed(this, 'Segment ran'))
          .otherwise(
            new sfn.Fail(this, 'Segment backfill failed', {
              error: 'SegmentBackfillFailed',
              causePath: '$.run.outcome.cause',
            }),
          ),
      ),
    );

    // Verify: start (index ACTIVE, one cutoff) -> a Map over the scan segments, each looping over
    // time-boxed invocations like the backfill -> finish (sums, sampled lookups). Counts that disagree
    // while all else holds are taken again after a pause (an event deleted between the two counts).
    const verifyTask = (name: string, payload: Record<string, unknown>, resultPath: string) => {
      const task = new tasks.LambdaInvoke(this, name, {
        lambdaFunction: props.verifyFunction,
        payloadResponseOnly: true,
        payload: sfn.TaskInput.fromObject(payload),
        resultPath,
      });
      task.addRetry({ errors: BACKFILL_RETRYABLE, maxAttempts: 6, backoffRate: 2, interval: Duration.seconds(2) });
      return task;
    };
    const firstCount = new sfn.Pass(this, 'First count', {
      parameters: { countAttempts: 0 },
      resultPath: '$.verification',
    });
    const startVerification = verifyTask(
      'Verify index',
      {
        phase: 'start',
        'tableName.$': '$.tableName',
        'totalSegments.$': '$.totalSegments',
        'countAttempts.$': '$.verification.countAttempts',
      },
      '$.verification',
    );
    const verifySegmentOnce = new tasks.LambdaInvoke(this, 'Verify segment', {
      lambdaFunction: props.verifyFunction,
      payloadResponseOnly: true,
    });
    verifySegmentOnce.addRetry({
      errors: BACKFILL_RETRYABLE,
      maxAttempts: 6,
      backoffRate: 2,
      interval: Duration.seconds(2),
    });
    const verifySegments = new sfn.Map(this, 'Verify segments', {
      itemsPath: '$.plan.segments',
      itemSelector: {
        phase: 'segment',
        'tableName.$': '$.tableName',
        'segment.$': '$$.Map.Item.Value',
        'totalSegments.$': '$.totalSegments',
        'countedBefore.$': '$.verification.countedBefore',
        'countedExpiringAfter.$': '$.verification.countedExpiringAfter',
        'deadline.$': '$.verification.deadline',
        'sampleSize.$': '$.verification.segmentSampleSize',
      },
      resultPath: '$.verifiedSegments',
    });
    verifySegments.itemProcessor(
      verifySegmentOnce.next(
        new sfn.Choice(this, 'Segment verified?')
          .when(sfn.Condition.booleanEquals('$.done', true), new sfn.Succeed(this, 'Segment counted'))
          .otherwise(verifySegmentOnce),
      ),
    );
    const finishVerification = verifyTask(
      'Finish verification',
      { phase: 'finish', 'start.$': '$.verification', 'segments.$': '$.verifiedSegments' },
      '$.report',
    );
    const countAgain = new sfn.Pass(this, 'Count again', {
      parameters: { 'countAttempts.$': '$.report.countAttempts' },
      resultPath: '$.verification',
    });
    const settle = new sfn.Wait(this, 'Let the index settle', { time: sfn.WaitTime.duration(Duration.seconds(5)) });
    // The segments' samples have served: dropped, so that the state (with the report) stays far below 256 KB.
    const forgetSegments = new sfn.Pass(this, 'Forget the segment counts', {
      result: sfn.Result.fromArray([]),
      resultPath: '$.verifiedSegments',
    });
    const verify = firstCount
      .next(startVerification)
      .next(verifySegments)
      .next(finishVerification)
      .next(forgetSegments);
    const markVerified = dynamodb(
      'Mark verified',
      'putItem',
      {
        'TableName.$': '$.tableName',
        Item: {
          tenant_id: { S: CONTROL_TENANT },
          sk: { S: EVENT_ID_INDEX_CONTROL_SK },
          [ControlAttr.status]: { S: VERIFIED },
          [ControlAttr.verifiedAt]: { 'S.$': '$$.State.EnteredTime' },
          [ControlAttr.verifiedBy]: { 'S.$': '$$.Execution.Name' },
        },
      },
      sfn.JsonPath.DISCARD,
    );
    markVerified.addRetry({ ...transientRetry, maxAttempts: 10 });
    const verificationFailed = new sfn.Pass(this, 'Verification failed', {
      parameters: { Error: 'VerificationFailed', 'Cause.$': 'States.JsonToString($.report)' },
      resultPath: '$.failure',
    });

    // Rollback: only an index this execution's UpdateTable created is deleted, if it is still there.
    // A rollback step that fails for good ends the execution with the lock released; `$.failure` keeps the
    // original cause and `$.rollbackFailure` says what the rollback met.
    const endRollback = (step: sfn.TaskStateBase): sfn.TaskStateBase =>
      step.addCatch(failAndRelease, { resultPath: '$.rollbackFailure' });
    const isIndexPresent = (describeName: string, checkName: string) =>
      endRollback(describeIndexNames(describeName, '$.rollback')).next(
        new sfn.Pass(this, checkName, {
          parameters: { 'present.$': `States.ArrayContains($.rollback.indexNames, '${EVENT_ID_INDEX}')` },
          resultPath: '$.rollback',
        }),
      );
    let rollback: sfn.IChainable = failAndRelease;
    if (ownedArns.length > 0) {
      const deleteIndex = dynamodb(
        'Delete index',
        'updateTable',
        { 'TableName.$': '$.tableName', GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: EVENT_ID_INDEX } }] },
        sfn.JsonPath.DISCARD,
        ownedArns,
      );
      deleteIndex.addRetry({
        errors: DYNAMODB_BUSY_ERRORS,
        maxAttempts: 10,
        backoffRate: 2,
        interval: Duration.seconds(5),
      });
      endRollback(deleteIndex);
      const waitGone = new sfn.Wait(this, 'Wait for the index to go', {
        time: sfn.WaitTime.secondsPath('$.pollIntervalSeconds'),
      });
      const stillDeleting = new sfn.Pass(this, 'Index still being deleted', {
        parameters: {
          Error: 'IndexStillDeleting',
          Cause: `${EVENT_ID_INDEX} was still being deleted after maxPolls polls; DynamoDB finishes the delete on its own`,
        },
        resultPath: '$.rollbackFailure',
      }).next(failAndRelease);
      const countDeletePoll = new sfn.Pass(this, 'Count the delete poll', {
        parameters: { 'value.$': 'States.MathAdd($.polls.value, 1)' },
        resultPath: '$.polls',
      });
      waitGone
        .next(isIndexPresent('Describe after delete', 'Is the index still there'))
        .next(
          new sfn.Choice(this, 'Index gone?')
            .when(sfn.Condition.booleanEquals('$.rollback.present', false), failAndRelease)
            .otherwise(
              countDeletePoll.next(
                new sfn.Choice(this, 'Out of delete polls?')
                  .when(sfn.Condition.numberGreaterThanJsonPath('$.polls.value', '$.maxPolls'), stillDeleting)
                  .otherwise(waitGone),
              ),
            ),
        );
      const startDeletePolls = new sfn.Pass(this, 'Start polling the delete', {
        parameters: { value: 0 },
        resultPath: '$.polls',
      });
      // An execution redriven after another took the table over must not delete what that one works on.
      const lockLost = new sfn.Pass(this, 'Lock held by another execution', {
        parameters: {
          Error: 'MigrationLockLost',
          'Cause.$':
            "States.Format('Table {} is now locked by another execution; the index is left to it', $.tableName)",
        },
        resultPath: '$.rollbackFailure',
      }).next(failed);
      const readLockForRollback = endRollback(
        dynamodb(
          'Read the lock before rollback',
          'getItem',
          { 'TableName.$': '$.tableName', Key: lockKey, ConsistentRead: true },
          '$.rollbackLock',
        ).addRetry(transientRetry),
      );
      rollback = new sfn.Choice(this, 'Did this run create the index?')
        .when(
          sfn.Condition.booleanEquals('$.createdByThisRun', true),
          readLockForRollback.next(
            new sfn.Choice(this, 'Lock still ours?')
              .when(
                sfn.Condition.and(
                  sfn.Condition.isPresent(ROLLBACK_LOCK_HOLDER),
                  sfn.Condition.stringEqualsJsonPath(ROLLBACK_LOCK_HOLDER, '$$.Execution.Id'),
                ),
                isIndexPresent('Describe for rollback', 'Is there an index to delete').next(
                  new sfn.Choice(this, 'Anything to roll back?')
                    .when(
                      sfn.Condition.booleanEquals('$.rollback.present', true),
                      deleteIndex.next(startDeletePolls).next(waitGone),
                    )
                    .otherwise(failAndRelease),
                ),
              )
              .otherwise(lockLost),
          ),
        )
        .otherwise(failAndRelease);
    }
    // Definite failures roll back; failures that leave the outcome in doubt (the index's state unknown,
    // the verification not run to its end, a verified index not marked) keep the index for a rerun.
    // A segment whose backfill kept failing (SegmentBackfillFailed, from the child's output) is a definite
    // failure. Anything else the Map meets (a child that could not start, timed out or was stopped) leaves
    // the index for a rerun. States.TaskFailed would not do: in a Catch it matches every error but timeouts.
    backfill.addCatch(rollback, { errors: ['SegmentBackfillFailed'], resultPath: '$.failure' });
    backfill.addCatch(failAndRelease, { resultPath: '$.failure' });
    verificationFailed.next(rollback);
    for (const step of [describeIndex, startVerification, verifySegments, finishVerification, markVerified]) {
      step.addCatch(failAndRelease, { resultPath: '$.failure' });
    }
    timedOut.next(failAndRelease);

    startPolling
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
                  .when(sfn.Condition.booleanEquals('$.report.ok', true), markVerified.next(succeedAndRelease))
                  .when(
                    sfn.Condition.booleanEquals('$.report.recount', true),
                    countAgain.next(settle).next(startVerification),
                  )
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
      .otherwise(
        // Every input checked before anything reads or changes the table.
        new sfn.Choice(this, 'Valid input?')
          .when(
            sfn.Condition.and(
              sfn.Condition.isPresent('$.tableName'),
              sfn.Condition.isString('$.tableName'),
              numberInRange('$.totalSegments', 1, MAX_SEGMENTS),
              numberInRange('$.maxWritesPerSecond', 1, 100_000),
              numberInRange('$.pollIntervalSeconds', 1, 3600),
              numberInRange('$.maxPolls', 1, 100_000),
            ),
            describe,
          )
          .otherwise(
            new sfn.Fail(this, 'Invalid input', {
              error: 'InvalidMigrationInput',
              cause: `Input must hold tableName (a string), totalSegments (1 to ${MAX_SEGMENTS}), maxWritesPerSecond (1 to 100000), pollIntervalSeconds (1 to 3600) and maxPolls (1 to 100000)`,
            }),
          ),
      );
    describe
      .next(readControl)
      .next(
        new sfn.Choice(this, 'Already verified?')
          .when(
            sfn.Condition.and(
              sfn.Condition.isPresent(`$.control.Item.${ControlAttr.status}.S`),
              sfn.Condition.stringEquals(`$.control.Item.${ControlAttr.status}.S`, VERIFIED),
            ),
            alreadyDone,
          )
          .otherwise(takeLock),
      );
    takeLock.next(indexPresent);
    takeOverLock.next(indexPresent);
    indexPresent.next(
      new sfn.Choice(this, 'Index present?')
        .when(sfn.Condition.booleanEquals('$.index.present', true), resumed.next(startPolling))
        .otherwise(createBranch),
    );

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName,
      definitionBody: sfn.DefinitionBody.fromChainable(checkIndexName),
      // Long enough for the largest backfill the limits allow (docs/MIGRATION.md, "Limits"); a timed-out
      // execution runs no Catch, so its index is left for the next run to resume with.
      timeout: Duration.days(EXECUTION_TIMEOUT_DAYS),
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, 'ExecutionLogs', {
          // Step Functions delivers logs through CloudWatch vended logs: the group's name must carry this prefix.
          logGroupName: `/aws/vendedlogs/states/${stateMachineName}`,
          retention: logs.RetentionDays.ONE_MONTH,
        }),
        level: sfn.LogLevel.ALL,
        includeExecutionData: true,
      },
    });
  }
}
