/** Verification in segments, counted again when only the counts disagree, then the control record marked. */
import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { CONTROL_TENANT, ControlAttr, VERIFIED } from '../../../contract/control-record';
import { BACKFILL_RETRYABLE } from './constants';
import type { MigrationParts } from './parts';
import { StateNames } from './state-names';

/** From the first count to the end: verified and marked (lock released), or a report that is not ok to `rollback`. */
export function verifyAndMark(parts: MigrationParts, verifyFunction: IFunction, rollback: sfn.IChainable): sfn.Chain {
  const { scope, dynamodb, transientRetry, failAndRelease, succeedAndRelease } = parts;
  const props = { verifyFunction };
  // Verify: start (index ACTIVE, one cutoff) -> a Map over the scan segments, each looping over
  // time-boxed invocations like the backfill -> finish (sums, sampled lookups). Counts that disagree
  // while all else holds are taken again after a pause (an event deleted between the two counts).
  const verifyTask = (name: string, payload: Record<string, unknown>, resultPath: string) => {
    const task = new tasks.LambdaInvoke(scope, name, {
      lambdaFunction: props.verifyFunction,
      payloadResponseOnly: true,
      payload: sfn.TaskInput.fromObject(payload),
      resultPath,
    });
    task.addRetry({ errors: BACKFILL_RETRYABLE, maxAttempts: 6, backoffRate: 2, interval: Duration.seconds(2) });
    return task;
  };
  const firstCount = new sfn.Pass(scope, 'First count', {
    parameters: { countAttempts: 0 },
    resultPath: '$.verification',
  });
  const startVerification = verifyTask(
    'Verify index',
    {
      phase: 'start',
      'tableName.$': '$.tableName',
      'indexName.$': '$.indexName',
      'totalSegments.$': '$.totalSegments',
      'countAttempts.$': '$.verification.countAttempts',
    },
    '$.verification',
  );
  const verifySegmentOnce = new tasks.LambdaInvoke(scope, StateNames.verifySegment, {
    lambdaFunction: props.verifyFunction,
    payloadResponseOnly: true,
  });
  verifySegmentOnce.addRetry({
    errors: BACKFILL_RETRYABLE,
    maxAttempts: 6,
    backoffRate: 2,
    interval: Duration.seconds(2),
  });
  const verifySegments = new sfn.Map(scope, 'Verify segments', {
    itemsPath: '$.plan.segments',
    itemSelector: {
      phase: 'segment',
      'tableName.$': '$.tableName',
      'indexName.$': '$.verification.indexName',
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
      new sfn.Choice(scope, StateNames.segmentVerified)
        .when(sfn.Condition.booleanEquals('$.done', true), new sfn.Succeed(scope, StateNames.segmentCounted))
        .otherwise(verifySegmentOnce),
    ),
  );
  const finishVerification = verifyTask(
    'Finish verification',
    { phase: 'finish', 'start.$': '$.verification', 'segments.$': '$.verifiedSegments' },
    '$.report',
  );
  const countAgain = new sfn.Pass(scope, 'Count again', {
    parameters: { 'countAttempts.$': '$.report.countAttempts' },
    resultPath: '$.verification',
  });
  const settle = new sfn.Wait(scope, 'Let the index settle', { time: sfn.WaitTime.duration(Duration.seconds(5)) });
  // The segments' samples have served: dropped, so that the state (with the report) stays far below 256 KB.
  const forgetSegments = new sfn.Pass(scope, 'Forget the segment counts', {
    result: sfn.Result.fromArray([]),
    resultPath: '$.verifiedSegments',
  });
  const verify = firstCount.next(startVerification).next(verifySegments).next(finishVerification).next(forgetSegments);
  const markVerified = dynamodb(
    'Mark verified',
    'putItem',
    {
      'TableName.$': '$.tableName',
      Item: {
        tenant_id: { S: CONTROL_TENANT },
        sk: { 'S.$': '$.indexSpec.controlSk' },
        [ControlAttr.status]: { S: VERIFIED },
        [ControlAttr.verifiedAt]: { 'S.$': '$$.State.EnteredTime' },
        [ControlAttr.verifiedBy]: { 'S.$': '$$.Execution.Name' },
      },
    },
    sfn.JsonPath.DISCARD,
  );
  markVerified.addRetry({ ...transientRetry, maxAttempts: 10 });
  const verificationFailed = new sfn.Pass(scope, 'Verification failed', {
    parameters: { Error: 'VerificationFailed', 'Cause.$': 'States.JsonToString($.report)' },
    resultPath: '$.failure',
  });

  verificationFailed.next(rollback);
  for (const step of [startVerification, verifySegments, finishVerification, markVerified]) {
    step.addCatch(failAndRelease, { resultPath: '$.failure' });
  }
  return verify.next(
    new sfn.Choice(scope, 'Verified?')
      .when(sfn.Condition.booleanEquals('$.report.ok', true), markVerified.next(succeedAndRelease))
      .when(sfn.Condition.booleanEquals('$.report.recount', true), countAgain.next(settle).next(startVerification))
      .otherwise(verificationFailed),
  );
}
