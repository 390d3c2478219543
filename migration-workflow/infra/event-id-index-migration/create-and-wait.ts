/** Creating the index (tables outside CloudFormation only) and polling until DynamoDB has built it. */
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { DYNAMODB_BUSY_ERRORS } from './constants';
import type { MigrationParts } from './parts';
import { StateNames } from './state-names';

/**
 * `resume` records that the index was there already and polls it; `create` creates it (or fails as
 * IndexNotDeclared) and polls it. Once it is ACTIVE the execution goes on to `whenActive`.
 */
export function createAndWait(
  parts: MigrationParts,
  whenActive: sfn.IChainable,
): { resume: sfn.IChainable; create: sfn.IChainable } {
  const { scope, dynamodb, transientRetry, failAndRelease, ownedArns, ownedNames, tableArns } = parts;
  const resumed = new sfn.Pass(scope, 'Resume with the existing index', {
    result: sfn.Result.fromBoolean(false),
    resultPath: '$.createdByThisRun',
  });

  // Poll until ACTIVE: Wait + DescribeTable + Choice, bounded by maxPolls (no .sync for these calls).
  const startPolling = new sfn.Pass(scope, 'Start polling', { parameters: { value: 0 }, resultPath: '$.polls' });
  const wait = new sfn.Wait(scope, StateNames.waitForIndex, {
    time: sfn.WaitTime.secondsPath('$.pollIntervalSeconds'),
  });
  const describeIndex = new tasks.CallAwsService(scope, StateNames.describeIndex, {
    service: 'dynamodb',
    action: 'describeTable',
    parameters: { 'TableName.$': '$.tableName' },
    iamResources: tableArns,
    // The names of the ACTIVE indexes (never none: inbox-index is there from the table's creation); a
    // filter cannot name the input's index, so the next state looks it up among them.
    resultSelector: { 'active.$': "$.Table.GlobalSecondaryIndexes[?(@.IndexStatus == 'ACTIVE')].IndexName" },
    resultPath: '$.indexState',
  });
  describeIndex.addRetry({ ...transientRetry, maxAttempts: 10 });
  const isActive = new sfn.Pass(scope, StateNames.isIndexActive, {
    parameters: { 'active.$': 'States.ArrayContains($.indexState.active, $.indexName)' },
    resultPath: '$.indexState',
  });
  const countPoll = new sfn.Pass(scope, StateNames.countPoll, {
    parameters: { 'value.$': 'States.MathAdd($.polls.value, 1)' },
    resultPath: '$.polls',
  });
  // The index may still be building: it is left to finish, and a later run resumes with it.
  const timedOut = new sfn.Pass(scope, 'Index did not become ACTIVE in time', {
    parameters: {
      Error: 'IndexNotActive',
      'Cause.$':
        "States.Format('{} did not become ACTIVE within maxPolls polls; it is left building: start again to resume with it', $.indexName)",
    },
    resultPath: '$.failure',
  });

  // Create: only on a table outside CloudFormation. The index is ours only once UpdateTable succeeded;
  // a create that fails (even one whose answer was lost) leaves whatever exists alone.
  const notDeclared = new sfn.Pass(scope, 'Index not declared', {
    parameters: {
      Error: 'IndexNotDeclared',
      'Cause.$':
        "States.Format('Table {} has no {}: deploy the stack that declares it, then run the migration to verify it', $.tableName, $.indexName)",
    },
    resultPath: '$.failure',
  }).next(failAndRelease);
  let createBranch: sfn.IChainable;
  if (ownedArns.length > 0) {
    // The definition DERIVED_INDEXES gives the index (createIndexRequest), set at $.indexSpec by the input check.
    const createIndex = dynamodb(
      'Create index',
      'updateTable',
      {
        'TableName.$': '$.tableName',
        'AttributeDefinitions.$': '$.indexSpec.attributeDefinitions',
        'GlobalSecondaryIndexUpdates.$': '$.indexSpec.create',
      },
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
    const createdByThisRun = new sfn.Pass(scope, 'Remember the index is ours', {
      result: sfn.Result.fromBoolean(true),
      resultPath: '$.createdByThisRun',
    });
    // The grant already confines UpdateTable to these tables; the choice makes any other table (the stack's
    // own) fail as IndexNotDeclared, as it does when no table is opted in, instead of with AccessDenied.
    createBranch = new sfn.Choice(scope, 'Table outside CloudFormation?')
      .when(
        sfn.Condition.or(...ownedNames.map((name) => sfn.Condition.stringEquals('$.tableName', name))),
        createIndex.next(createdByThisRun).next(startPolling),
      )
      .otherwise(notDeclared);
  } else {
    createBranch = notDeclared;
  }

  describeIndex.addCatch(failAndRelease, { resultPath: '$.failure' });
  timedOut.next(failAndRelease);

  startPolling
    .next(wait)
    .next(describeIndex)
    .next(isActive)
    .next(
      new sfn.Choice(scope, StateNames.indexActive)
        .when(sfn.Condition.booleanEquals('$.indexState.active', true), whenActive)
        .otherwise(
          countPoll.next(
            new sfn.Choice(scope, StateNames.outOfPolls)
              .when(sfn.Condition.numberGreaterThanJsonPath('$.polls.value', '$.maxPolls'), timedOut)
              .otherwise(wait),
          ),
        ),
    );
  return { resume: resumed.next(startPolling), create: createBranch };
}
