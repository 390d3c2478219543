import { createDynamoDbClients } from '../../platform/dynamodb-client';
import {
  backfillSegment,
  verifyEventIdIndex,
  verifyStep,
  type BackfillSegmentResult,
  type VerifyStepEvent,
} from './handlers';

// The Lambda entry point: clients are built once per execution environment.
const clients = createDynamoDbClients({
  region: process.env.AWS_REGION ?? 'us-east-1',
  ...(process.env.DYNAMODB_ENDPOINT ? { endpoint: process.env.DYNAMODB_ENDPOINT } : {}),
});
/** Each backfill invocation stops starting writes after this long (the function's timeout is 5 min). */
const BACKFILL_BUDGET_MS = 4 * 60_000;
const VERIFY_SAMPLE_SIZE = 100;
/** Writes in flight per segment (paced to the segment's share of the write-rate limit). */
const BACKFILL_WRITE_CONCURRENCY = 4;

interface BackfillEvent {
  tableName: string;
  segment: number;
  totalSegments: number;
  maxWritesPerSecond: number;
  exclusiveStartKey?: { tenant_id: string; sk: string };
}

/** Backfills one scan segment for at most `BACKFILL_BUDGET_MS`; the state machine loops until `done`. */
export async function backfill(event: BackfillEvent): Promise<BackfillSegmentResult> {
  return backfillSegment({
    doc: clients.doc,
    ...event,
    timeBudgetMs: BACKFILL_BUDGET_MS,
    writeConcurrency: BACKFILL_WRITE_CONCURRENCY,
  });
}

/** Each verification segment invocation hands back its progress after this long (the function's timeout is 15 min). */
const VERIFY_SEGMENT_BUDGET_MS = 10 * 60_000;
const VERIFY_SETTLE_MS = 5000;

/**
 * One step of the segmented verification (`phase`: start, segment, finish), as the state machine runs it;
 * without `phase`, the whole verification in one invocation (small tables, manual checks).
 */
export async function verify(event: VerifyStepEvent | { tableName: string }): Promise<unknown> {
  if ('phase' in event) {
    return verifyStep(event, {
      client: clients.client,
      doc: clients.doc,
      sampleSize: VERIFY_SAMPLE_SIZE,
      settleMs: VERIFY_SETTLE_MS,
      timeBudgetMs: VERIFY_SEGMENT_BUDGET_MS,
    });
  }
  return verifyEventIdIndex({
    doc: clients.doc,
    client: clients.client,
    tableName: event.tableName,
    sampleSize: VERIFY_SAMPLE_SIZE,
  });
}
