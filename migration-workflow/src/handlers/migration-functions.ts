import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { backfillSegment, type BackfillSegmentResult, type EventTableKey } from './backfill-segment';
import { verifyIndex } from './verify-index';
import { verifyStep, type VerifyStepEvent } from './verify-segments';

/** What the state machine sends the backfill function: one scan segment, resumed from its last key. */
export interface BackfillEvent {
  tableName: string;
  /** The derived index whose attributes to write (default `event-id-index`). */
  indexName?: string;
  segment: number;
  totalSegments: number;
  maxWritesPerSecond: number;
  exclusiveStartKey?: EventTableKey;
}

/** What the state machine sends the verify function: one step (`phase`), or without it the whole verification. */
export type VerifyEvent = VerifyStepEvent | { tableName: string; indexName?: string };

/** The budgets of the two functions: Lambda's in production, shorter ones locally. */
export interface MigrationFunctionSettings {
  /** Each backfill invocation stops starting writes after this long (the function's timeout is 5 min). */
  backfillBudgetMs: number;
  /** Writes in flight per segment (paced to the segment's share of the write-rate limit). */
  backfillWriteConcurrency: number;
  /** Items looked up through the index at the end of a verification. */
  sampleSize: number;
  /** How old an event must be to count (a new one reaches the index a moment after the table). */
  settleMs: number;
  /** Each verification segment invocation hands back its progress after this long (the function's timeout is 15 min). */
  verifyBudgetMs: number;
  /** Items per verification Scan page (default: DynamoDB's 1 MB pages). */
  verifyPageSize?: number;
}

/** The settings the Lambda functions run with. */
export const LAMBDA_SETTINGS: MigrationFunctionSettings = {
  backfillBudgetMs: 4 * 60_000,
  backfillWriteConcurrency: 4,
  sampleSize: 100,
  settleMs: 5000,
  verifyBudgetMs: 10 * 60_000,
};

/** The backfill and verify functions of the state machine, over the given clients: one binding for Lambda and the local runner. */
export function migrationFunctions(
  clients: { client: DynamoDBClient; doc: DynamoDBDocumentClient },
  settings: MigrationFunctionSettings,
): {
  backfill: (event: BackfillEvent) => Promise<BackfillSegmentResult>;
  verify: (event: VerifyEvent) => Promise<unknown>;
} {
  return {
    backfill: (event) =>
      backfillSegment({
        doc: clients.doc,
        ...event,
        timeBudgetMs: settings.backfillBudgetMs,
        writeConcurrency: settings.backfillWriteConcurrency,
      }),
    verify: (event) =>
      'phase' in event
        ? verifyStep(event, {
            ...clients,
            sampleSize: settings.sampleSize,
            settleMs: settings.settleMs,
            timeBudgetMs: settings.verifyBudgetMs,
            ...(settings.verifyPageSize && { pageSize: settings.verifyPageSize }),
          })
        : verifyIndex({
            ...clients,
            tableName: event.tableName,
            ...(event.indexName !== undefined && { indexName: event.indexName }),
            sampleSize: settings.sampleSize,
          }),
  };
}
