/** Names, limits and error lists the migration's state machines are built from. */
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { indexControlSk, LockAttr } from '../../../contract/control-record';
import { createIndexRequest } from '../../../contract/event-id-index-request';

/** The state machine's input; the operator CLI and the local runner build it. */
export interface MigrationInput {
  tableName: string;
  /** The index to add: any of DERIVED_INDEXES (default `event-id-index`). */
  indexName?: string;
  /** Scan segments of the backfill and the verification, 1 to MAX_SEGMENTS. */
  totalSegments: number;
  /** Backfill writes per second, all segments together. */
  maxWritesPerSecond: number;
  /** Seconds between polls of the index status. */
  pollIntervalSeconds: number;
  /** Polls before the index is given up on (and the rollback's wait for a delete). */
  maxPolls: number;
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

/**
 * What the state machine needs to know of the index it builds, which the input names: set at `$.indexSpec`
 * by the input check from DERIVED_INDEXES (one Pass per index), so that the registry, not the input,
 * defines the index created.
 */
export interface IndexSpec {
  /** Sort key of the index's control record. */
  controlSk: string;
  /** UpdateTable's AttributeDefinitions and GlobalSecondaryIndexUpdates to create the index, and to delete it. */
  attributeDefinitions: unknown[];
  create: unknown[];
  delete: unknown[];
}

/** The IndexSpec of a derived index. */
export function indexSpec(indexName: string): IndexSpec {
  const { AttributeDefinitions = [], GlobalSecondaryIndexUpdates = [] } = createIndexRequest('', indexName);
  return {
    controlSk: indexControlSk(indexName),
    attributeDefinitions: AttributeDefinitions,
    create: GlobalSecondaryIndexUpdates,
    delete: [{ Delete: { IndexName: indexName } }],
  };
}

/** Where the lock item's holder lands when the lock is read. */
export const LOCK_HOLDER = `$.lock.Item.${LockAttr.holder}.S`;
export const ROLLBACK_LOCK_HOLDER = `$.rollbackLock.Item.${LockAttr.holder}.S`;

/** True when `path` holds a number from `min` to `max`. */
export function numberInRange(path: string, min: number, max: number): sfn.Condition {
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
export const BACKFILL_RETRYABLE = [
  'Lambda.TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
];
