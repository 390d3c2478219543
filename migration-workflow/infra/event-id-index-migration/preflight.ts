/** Input check, preflight (already verified?) and the per-table lock, up to whether the index is there. */
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { CONTROL_TENANT, ControlAttr, LockAttr, MIGRATION_LOCK_SK, VERIFIED } from '../../../contract/control-record';
import { DERIVED_INDEX_NAMES, EVENT_ID_INDEX } from '../../../contract/table-schemas';
import { indexSpec, LOCK_HOLDER, MAX_SEGMENTS, numberInRange } from './constants';
import type { MigrationParts } from './parts';

/**
 * The first states: the input checked before anything reads the table (the index name among
 * DERIVED_INDEXES, whose definition is then set at `$.indexSpec`), an already verified index a no-op,
 * then the lock; after it `next.indexPresent` (resume) or `next.indexAbsent` (create).
 */
export function preflight(
  parts: MigrationParts,
  next: { indexPresent: sfn.IChainable; indexAbsent: sfn.IChainable },
): sfn.IChainable {
  const { scope, dynamodb, describeIndexNames, transientRetry, failed, lockKey, stateMachineName } = parts;
  // Preflight: already verified (no-op), index present from an earlier run (resume), or create it.
  const describe = describeIndexNames('Describe table', '$.describe');
  const readControl = dynamodb(
    'Read control record',
    'getItem',
    {
      'TableName.$': '$.tableName',
      Key: { tenant_id: { S: CONTROL_TENANT }, sk: { 'S.$': '$.indexSpec.controlSk' } },
      ConsistentRead: true,
    },
    '$.control',
  );
  readControl.addRetry(transientRetry);
  const alreadyDone = new sfn.Succeed(scope, 'Already verified', { comment: 'Re-running after success is a no-op' });

  // One execution per table: a conditional put of a lock item naming this execution. A lock held by an
  // execution that has ended (failed, stopped, timed out) is taken over; one still running refuses.
  const lockItem = {
    ...lockKey,
    [LockAttr.holder]: { 'S.$': '$$.Execution.Id' },
    [LockAttr.lockedAt]: { 'S.$': '$$.Execution.StartTime' },
  };
  const alreadyRunning = new sfn.Pass(scope, 'Another execution is migrating the table', {
    parameters: {
      Error: 'MigrationAlreadyRunning',
      'Cause.$': `States.Format('Execution {} is migrating table {}; wait for it to end, or stop it', ${LOCK_HOLDER}, $.tableName)`,
    },
    resultPath: '$.failure',
  }).next(failed);
  const lockUnknown = new sfn.Pass(scope, 'Lock holder unknown', {
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
  const describeHolder = new tasks.CallAwsService(scope, 'Describe the lock holder', {
    service: 'sfn',
    action: 'describeExecution',
    iamAction: 'states:DescribeExecution',
    parameters: { 'ExecutionArn.$': LOCK_HOLDER },
    iamResources: [
      Stack.of(scope).formatArn({
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
  const indexPresent = new sfn.Pass(scope, 'Is the index present', {
    parameters: { 'present.$': 'States.ArrayContains($.describe.indexNames, $.indexName)' },
    resultPath: '$.index',
  });
  // The lock vanished between the put and the read (its holder just released it): try again.
  takeLock.addCatch(
    readLock.next(
      new sfn.Choice(scope, 'Is the table locked?')
        // Not IsPresent rather than `IsPresent: false`, which aws-local-stepfunctions never matches.
        .when(sfn.Condition.not(sfn.Condition.isPresent(LOCK_HOLDER)), takeLock)
        // A retried put whose first answer was lost finds the lock already ours.
        .when(sfn.Condition.stringEqualsJsonPath(LOCK_HOLDER, '$$.Execution.Id'), indexPresent)
        .otherwise(
          describeHolder.next(
            new sfn.Choice(scope, 'Lock holder running?')
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

  // The index name is an input; only an index DERIVED_INDEXES defines (the key schema the API reads) can
  // be built, and its definition comes from there: one Pass per index sets it at $.indexSpec.
  const validInput = new sfn.Choice(scope, 'Valid input?');
  const checkIndexName = new sfn.Choice(scope, 'Supported index?');
  checkIndexName.when(
    // Not IsPresent rather than `IsPresent: false`, which aws-local-stepfunctions never matches.
    sfn.Condition.not(sfn.Condition.isPresent('$.indexName')),
    new sfn.Pass(scope, 'Default index', {
      result: sfn.Result.fromString(EVENT_ID_INDEX),
      resultPath: '$.indexName',
    }).next(checkIndexName),
  );
  for (const name of DERIVED_INDEX_NAMES) {
    checkIndexName.when(
      // A comparison with a value that is absent or not a string would fail the execution with States.Runtime.
      sfn.Condition.and(
        sfn.Condition.isPresent('$.indexName'),
        sfn.Condition.isString('$.indexName'),
        sfn.Condition.stringEquals('$.indexName', name),
      ),
      new sfn.Pass(scope, `Index ${name}`, {
        result: sfn.Result.fromObject({ ...indexSpec(name) }),
        resultPath: '$.indexSpec',
      }).next(validInput),
    );
  }
  checkIndexName.otherwise(
    new sfn.Fail(scope, 'Unsupported index', {
      error: 'UnsupportedIndex',
      cause: `indexName must name an index whose key derives from other attributes: ${DERIVED_INDEX_NAMES.join(', ')}`,
    }),
  );
  // Every input checked before anything reads or changes the table.
  validInput
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
      new sfn.Fail(scope, 'Invalid input', {
        error: 'InvalidMigrationInput',
        cause: `Input must hold tableName (a string), totalSegments (1 to ${MAX_SEGMENTS}), maxWritesPerSecond (1 to 100000), pollIntervalSeconds (1 to 3600) and maxPolls (1 to 100000)`,
      }),
    );
  describe
    .next(readControl)
    .next(
      new sfn.Choice(scope, 'Already verified?')
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
    new sfn.Choice(scope, 'Index present?')
      .when(sfn.Condition.booleanEquals('$.index.present', true), next.indexPresent)
      .otherwise(next.indexAbsent),
  );
  return checkIndexName;
}
