import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { backfillSegment, type BackfillSegmentResult } from '../../../src/handlers/backfill-segment';
import { fakeTime } from './fake-time';

export interface BackfillRun {
  invocations: BackfillSegmentResult[];
  updated: number;
  skipped: number;
}

/** Drives every segment to completion the way the state machine's loop does: resume until `done`. */
export async function runBackfill(
  doc: DynamoDBDocumentClient,
  tableName: string,
  options: { indexName?: string; totalSegments: number; timeBudgetMs: number; maxWritesPerSecond: number },
): Promise<BackfillRun> {
  const invocations: BackfillSegmentResult[] = [];
  for (let segment = 0; segment < options.totalSegments; segment++) {
    let result: BackfillSegmentResult | undefined;
    do {
      const { now, sleep } = fakeTime();
      result = await backfillSegment({
        doc,
        tableName,
        segment,
        ...options,
        exclusiveStartKey: result?.lastEvaluatedKey,
        pageSize: 25,
        now,
        sleep,
      });
      invocations.push(result);
    } while (!result.done);
  }
  return {
    invocations,
    updated: invocations.reduce((sum, r) => sum + r.updated, 0),
    skipped: invocations.reduce((sum, r) => sum + r.skipped, 0),
  };
}
