/** The rollback: delete the index only if this execution created it and still holds the table's lock. */
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { DYNAMODB_BUSY_ERRORS, ROLLBACK_LOCK_HOLDER } from './constants';
import type { MigrationParts } from './parts';
import { StateNames } from './state-names';

/** Where definite failures go; with no table whose index the migration owns, it only releases the lock. */
export function rollback(parts: MigrationParts): sfn.IChainable {
  const { scope, dynamodb, describeIndexNames, transientRetry, failed, failAndRelease, lockKey, ownedArns } = parts;
  // Rollback: only an index this execution's UpdateTable created is deleted, if it is still there.
  // A rollback step that fails for good ends the execution with the lock released; `$.failure` keeps the
  // original cause and `$.rollbackFailure` says what the rollback met.
  const endRollback = (step: sfn.TaskStateBase): sfn.TaskStateBase =>
    step.addCatch(failAndRelease, { resultPath: '$.rollbackFailure' });
  const isIndexPresent = (describeName: string, checkName: string) =>
    endRollback(describeIndexNames(describeName, '$.rollback')).next(
      new sfn.Pass(scope, checkName, {
        parameters: { 'present.$': 'States.ArrayContains($.rollback.indexNames, $.indexName)' },
        resultPath: '$.rollback',
      }),
    );
  let rollback: sfn.IChainable = failAndRelease;
  if (ownedArns.length > 0) {
    const deleteIndex = dynamodb(
      'Delete index',
      'updateTable',
      { 'TableName.$': '$.tableName', 'GlobalSecondaryIndexUpdates.$': '$.indexSpec.delete' },
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
    const waitGone = new sfn.Wait(scope, StateNames.waitForIndexToGo, {
      time: sfn.WaitTime.secondsPath('$.pollIntervalSeconds'),
    });
    const stillDeleting = new sfn.Pass(scope, 'Index still being deleted', {
      parameters: {
        Error: 'IndexStillDeleting',
        'Cause.$':
          "States.Format('{} was still being deleted after maxPolls polls; DynamoDB finishes the delete on its own', $.indexName)",
      },
      resultPath: '$.rollbackFailure',
    }).next(failAndRelease);
    const countDeletePoll = new sfn.Pass(scope, 'Count the delete poll', {
      parameters: { 'value.$': 'States.MathAdd($.polls.value, 1)' },
      resultPath: '$.polls',
    });
    waitGone
      .next(isIndexPresent(StateNames.describeAfterDelete, StateNames.isIndexStillThere))
      .next(
        new sfn.Choice(scope, StateNames.indexGone)
          .when(sfn.Condition.booleanEquals('$.rollback.present', false), failAndRelease)
          .otherwise(
            countDeletePoll.next(
              new sfn.Choice(scope, 'Out of delete polls?')
                .when(sfn.Condition.numberGreaterThanJsonPath('$.polls.value', '$.maxPolls'), stillDeleting)
                .otherwise(waitGone),
            ),
          ),
      );
    const startDeletePolls = new sfn.Pass(scope, 'Start polling the delete', {
      parameters: { value: 0 },
      resultPath: '$.polls',
    });
    // An execution redriven after another took the table over must not delete what that one works on.
    const lockLost = new sfn.Pass(scope, 'Lock held by another execution', {
      parameters: {
        Error: 'MigrationLockLost',
        'Cause.$': "States.Format('Table {} is now locked by another execution; the index is left to it', $.tableName)",
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
    rollback = new sfn.Choice(scope, 'Did this run create the index?')
      .when(
        sfn.Condition.booleanEquals('$.createdByThisRun', true),
        readLockForRollback.next(
          new sfn.Choice(scope, 'Lock still ours?')
            .when(
              sfn.Condition.and(
                sfn.Condition.isPresent(ROLLBACK_LOCK_HOLDER),
                sfn.Condition.stringEqualsJsonPath(ROLLBACK_LOCK_HOLDER, '$$.Execution.Id'),
              ),
              isIndexPresent('Describe for rollback', 'Is there an index to delete').next(
                new sfn.Choice(scope, 'Anything to roll back?')
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
  return rollback;
}
