/** The backfill: a Map over the scan segments, each a child execution looping over time-boxed invocations. */
import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { BACKFILL_RETRYABLE, EXECUTION_TIMEOUT_DAYS } from './constants';
import { loggedStateMachine, type MigrationParts } from './parts';
import { StateNames } from './state-names';

/** `segments -> Backfill`: a segment whose backfill keeps failing goes to `rollback`, any other failure ends in doubt. */
export function backfill(
  parts: MigrationParts,
  backfillFunction: IFunction,
  rollback: sfn.IChainable,
): { chain: sfn.Chain; segmentStateMachine: sfn.StateMachine } {
  const { scope, failAndRelease, stateMachineName } = parts;
  const props = { backfillFunction };
  // Backfill: one Map iteration per scan segment, each looping over its time-boxed invocations.
  const segments = new sfn.Pass(scope, 'List scan segments', {
    parameters: { 'segments.$': 'States.ArrayRange(0, States.MathAdd($.totalSegments, -1), 1)' },
    resultPath: '$.plan',
  });
  const backfillOnce = new tasks.LambdaInvoke(scope, StateNames.backfillSegment, {
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
  const carryOn = new sfn.Pass(scope, StateNames.carryOn, {
    parameters: {
      'tableName.$': '$.tableName',
      'indexName.$': '$.indexName',
      'segment.$': '$.segment',
      'totalSegments.$': '$.totalSegments',
      'maxWritesPerSecond.$': '$.maxWritesPerSecond',
      'exclusiveStartKey.$': '$.progress.lastEvaluatedKey',
    },
  });
  // The child execution always succeeds and says in its output whether the backfill failed: the parent
  // can then tell a definite failure (roll back) from a child that could not run or was stopped (in doubt).
  const segmentDone = new sfn.Pass(scope, StateNames.segmentDone, {
    parameters: { failed: false, 'segment.$': '$.segment' },
  });
  const segmentFailed = new sfn.Pass(scope, 'Segment failed', {
    parameters: {
      failed: true,
      'segment.$': '$.segment',
      'cause.$':
        "States.Format('Segment {} of {}: {}: {}', $.segment, $.totalSegments, $.failure.Error, $.failure.Cause)",
    },
  });
  backfillOnce.addCatch(segmentFailed, { resultPath: '$.failure' });
  const backfillLoop = backfillOnce.next(
    new sfn.Choice(scope, StateNames.segmentFinished)
      .when(sfn.Condition.booleanEquals('$.progress.done', true), segmentDone)
      .otherwise(carryOn.next(backfillOnce)),
  );
  const backfill = new sfn.Map(scope, StateNames.backfill, {
    itemsPath: '$.plan.segments',
    itemSelector: {
      'tableName.$': '$.tableName',
      'indexName.$': '$.indexName',
      'segment.$': '$$.Map.Item.Value',
      'totalSegments.$': '$.totalSegments',
      'maxWritesPerSecond.$': '$.maxWritesPerSecond',
    },
    resultPath: sfn.JsonPath.DISCARD,
  });
  // Each segment runs as a child execution with its own history: one execution's 25,000 history events
  // would otherwise end a long backfill (docs/MIGRATION.md, "Limits").
  segmentFailed.next(new sfn.Succeed(scope, 'Segment ended'));
  const segmentMachine = loggedStateMachine(
    scope,
    'SegmentStateMachine',
    'SegmentExecutionLogs',
    `${stateMachineName}-segment`,
    backfillLoop,
  );
  const runSegment = new tasks.StepFunctionsStartExecution(scope, StateNames.runSegment, {
    stateMachine: segmentMachine,
    integrationPattern: sfn.IntegrationPattern.RUN_JOB,
    // Not associated with the parent: that would add its id to the input the backfill function receives.
    associateWithParent: false,
    // As long as the child may run. Said explicitly: a task without TimeoutSeconds is unbounded in AWS,
    // but local Step Functions runners give it 60 s, which a segment of a large table outlasts.
    taskTimeout: sfn.Timeout.duration(Duration.days(EXECUTION_TIMEOUT_DAYS)),
    input: sfn.TaskInput.fromObject({
      'tableName.$': '$.tableName',
      'indexName.$': '$.indexName',
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
      new sfn.Choice(scope, 'Segment backfilled?')
        .when(sfn.Condition.booleanEquals('$.run.outcome.failed', false), new sfn.Succeed(scope, 'Segment ran'))
        .otherwise(
          new sfn.Fail(scope, 'Segment backfill failed', {
            error: 'SegmentBackfillFailed',
            causePath: '$.run.outcome.cause',
          }),
        ),
    ),
  );

  // Definite failures roll back; failures that leave the outcome in doubt (the index's state unknown,
  // the verification not run to its end, a verified index not marked) keep the index for a rerun.
  // A segment whose backfill kept failing (SegmentBackfillFailed, from the child's output) is a definite
  // failure. Anything else the Map meets (a child that could not start, timed out or was stopped) leaves
  // the index for a rerun. States.TaskFailed would not do: in a Catch it matches every error but timeouts.
  backfill.addCatch(rollback, { errors: ['SegmentBackfillFailed'], resultPath: '$.failure' });
  backfill.addCatch(failAndRelease, { resultPath: '$.failure' });
  return { chain: segments.next(backfill), segmentStateMachine: segmentMachine };
}
