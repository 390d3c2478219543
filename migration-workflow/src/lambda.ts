import { createDynamoDbClients } from '../../platform/dynamodb-client';
import { LAMBDA_SETTINGS, migrationFunctions } from './handlers/migration-functions';

// The Lambda entry point: clients are built once per execution environment.
const functions = migrationFunctions(
  createDynamoDbClients({
    region: process.env.AWS_REGION ?? 'us-east-1',
    ...(process.env.DYNAMODB_ENDPOINT ? { endpoint: process.env.DYNAMODB_ENDPOINT } : {}),
  }),
  LAMBDA_SETTINGS,
);

/** Backfills one scan segment for at most the backfill budget; the state machine loops until `done`. */
export const backfill = functions.backfill;

/**
 * One step of the segmented verification (`phase`: start, segment, finish), as the state machine runs it;
 * without `phase`, the whole verification in one invocation (small tables, manual checks).
 */
export const verify = functions.verify;
