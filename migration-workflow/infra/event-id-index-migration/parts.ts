/** What every part of the migration's state machine is built with: the DynamoDB task helper, retries, the ends. */
import { Duration } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { CONTROL_TENANT, LockAttr, MIGRATION_LOCK_SK } from '../../../contract/control-record';
import { DYNAMODB_TRANSIENT_ERRORS, EXECUTION_TIMEOUT_DAYS } from './constants';

export interface MigrationParts {
  readonly scope: Construct;
  /** Every table the migration serves, and of them those whose index it may create and delete. */
  readonly tableArns: string[];
  readonly ownedArns: string[];
  readonly ownedNames: string[];
  readonly stateMachineName: string;
  /** Retry of throttling and 5xx on a DynamoDB task. */
  readonly transientRetry: sfn.RetryProps;
  /** A DynamoDB call (AWS SDK integration) on the served tables, or on `iamResources`. */
  readonly dynamodb: (
    name: string,
    action: string,
    parameters: Record<string, unknown>,
    resultPath: string,
    iamResources?: string[],
  ) => tasks.CallAwsService;
  /** DescribeTable keeping only the index names, at `resultPath`. */
  readonly describeIndexNames: (name: string, resultPath: string) => tasks.CallAwsService;
  /** The lock item's key. */
  readonly lockKey: Record<string, unknown>;
  /** The failed end ($.failure holds the error and cause), without releasing the lock. */
  readonly failed: sfn.Fail;
  /** Releases the lock, then fails with $.failure. */
  readonly failAndRelease: sfn.IChainable;
  /** Releases the lock, then succeeds with the report. */
  readonly succeedAndRelease: sfn.IChainable;
}

/** The shared parts, created once per state machine. */
export function migrationParts(
  scope: Construct,
  tables: { tableArns: string[]; ownedArns: string[]; ownedNames: string[]; stateMachineName: string },
): MigrationParts {
  const { tableArns } = tables;
  const dynamodb = (
    name: string,
    action: string,
    parameters: Record<string, unknown>,
    resultPath: string,
    iamResources: string[] = tableArns,
  ) => {
    const task = new tasks.CallAwsService(scope, name, {
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
    const describeTable = new tasks.CallAwsService(scope, name, {
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
  const failed = new sfn.Fail(scope, 'Migration failed', {
    errorPath: '$.failure.Error',
    causePath: '$.failure.Cause',
  });
  const succeeded = new sfn.Succeed(scope, 'Index verified', { outputPath: '$.report' });
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
  return {
    scope,
    ...tables,
    transientRetry,
    dynamodb,
    describeIndexNames,
    lockKey,
    failed,
    failAndRelease,
    succeedAndRelease,
  };
}

/**
 * A state machine as the migration runs them: traced, timed out after EXECUTION_TIMEOUT_DAYS (a timed-out
 * execution runs no Catch, so its index is left for the next run), logging everything to a log group
 * (`<logsId>`) under `/aws/vendedlogs/states/`: Step Functions delivers logs as CloudWatch vended logs,
 * whose group names must carry that prefix.
 */
export function loggedStateMachine(
  scope: Construct,
  id: string,
  logsId: string,
  stateMachineName: string,
  definition: sfn.IChainable,
): sfn.StateMachine {
  return new sfn.StateMachine(scope, id, {
    stateMachineName,
    definitionBody: sfn.DefinitionBody.fromChainable(definition),
    timeout: Duration.days(EXECUTION_TIMEOUT_DAYS),
    tracingEnabled: true,
    logs: {
      destination: new logs.LogGroup(scope, logsId, {
        logGroupName: `/aws/vendedlogs/states/${stateMachineName}`,
        retention: logs.RetentionDays.ONE_MONTH,
      }),
      level: sfn.LogLevel.ALL,
      includeExecutionData: true,
    },
  });
}
