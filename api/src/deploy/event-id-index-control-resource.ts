import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { createLogger } from '../observability/logger';
import { createDynamoDbClients } from '../../../platform/dynamodb-client';
import { markEventIdIndexVerifiedIfEmpty, type DeployMarkOutcome } from '../store/event-id-index-control';

/** What the custom resource returns to CloudFormation (through the provider framework). */
export interface ControlResourceResult {
  PhysicalResourceId: string;
  Data: { Outcome: DeployMarkOutcome | 'none' };
}

// The Lambda entry point: clients are built once per execution environment.
const clients = createDynamoDbClients({
  region: process.env.AWS_REGION ?? 'us-east-1',
  ...(process.env.DYNAMODB_ENDPOINT ? { endpoint: process.env.DYNAMODB_ENDPOINT } : {}),
});
const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'info', format: 'json' });

/**
 * The `Custom::EventIdIndexControl` resource of ApiStack: on create and update, marks `event-id-index`
 * verified when the events table holds no events yet (a table the stack has just created), so a freshly
 * deployed API never scans on a lookup miss; a table that already holds events is left to the migration.
 * Delete changes nothing: the table and its records are retained.
 */
export async function onEvent(event: CloudFormationCustomResourceEvent): Promise<ControlResourceResult> {
  const tableName = String(event.ResourceProperties.TableName ?? '');
  if (tableName === '') throw new Error('Custom::EventIdIndexControl needs a TableName property');
  const physicalId = `${tableName}/event-id-index-control`;
  if (event.RequestType === 'Delete') return { PhysicalResourceId: physicalId, Data: { Outcome: 'none' } };
  const outcome = await markEventIdIndexVerifiedIfEmpty(clients.client, clients.doc, tableName, 'deploy');
  logger.info({ table: tableName, outcome }, describe(outcome));
  return { PhysicalResourceId: physicalId, Data: { Outcome: outcome } };
}

function describe(outcome: DeployMarkOutcome): string {
  switch (outcome) {
    case 'marked':
      return 'event-id-index marked verified: the table holds no events yet';
    case 'already-verified':
      return 'event-id-index was already verified';
    case 'holds-events':
      return 'event-id-index left unverified: the table already holds events; run the migration to backfill and verify it';
    case 'no-active-index':
      return 'event-id-index left unverified: the table has no ACTIVE event-id-index';
  }
}
