import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { createLogger } from '../observability/logger';
import { createDynamoDbClients } from '../../../platform/dynamodb-client';
import { markIndexesVerifiedIfEmpty, type DeployMarkOutcome } from '../store/index-control';

/** What the custom resource returns to CloudFormation (through the provider framework). */
export interface ControlResourceResult {
  PhysicalResourceId: string;
  /** The outcome every derived index shares, or `name=outcome` pairs when they differ. */
  Data: { Outcome: string };
}

// The Lambda entry point: clients are built once per execution environment.
const clients = createDynamoDbClients({
  region: process.env.AWS_REGION ?? 'us-east-1',
  ...(process.env.DYNAMODB_ENDPOINT ? { endpoint: process.env.DYNAMODB_ENDPOINT } : {}),
});
const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'info', format: 'json' });

/**
 * The `Custom::EventIdIndexControl` resource of ApiStack: on create and update, marks every derived index
 * (`event-id-index` and the inbox filter indexes) verified when the events table holds no events yet (a
 * table the stack has just created), so a freshly deployed API never scans on a lookup miss and reads
 * its filtered inboxes through their indexes; a table that already holds events is left to the migration.
 * Delete changes nothing: the table and its records are retained.
 */
export async function onEvent(event: CloudFormationCustomResourceEvent): Promise<ControlResourceResult> {
  const tableName = String(event.ResourceProperties.TableName ?? '');
  if (tableName === '') throw new Error('Custom::EventIdIndexControl needs a TableName property');
  const physicalId = `${tableName}/event-id-index-control`;
  if (event.RequestType === 'Delete') return { PhysicalResourceId: physicalId, Data: { Outcome: 'none' } };
  const outcomes = await markIndexesVerifiedIfEmpty(clients.client, clients.doc, tableName, 'deploy');
  for (const [index, outcome] of Object.entries(outcomes)) {
    logger.info({ table: tableName, index, outcome }, describe(index, outcome));
  }
  const distinct = new Set(Object.values(outcomes));
  const summary =
    distinct.size === 1
      ? [...distinct][0]
      : Object.entries(outcomes)
          .map(([index, outcome]) => `${index}=${outcome}`)
          .join(', ');
  return { PhysicalResourceId: physicalId, Data: { Outcome: summary } };
}

function describe(index: string, outcome: DeployMarkOutcome): string {
  switch (outcome) {
    case 'marked':
      return `${index} marked verified: the table holds no events yet`;
    case 'already-verified':
      return `${index} was already verified`;
    case 'holds-events':
      return `${index} left unverified: the table already holds events; run the migration to backfill and verify it`;
    case 'no-active-index':
      return `${index} left unverified: the table has no ACTIVE ${index}`;
  }
}
