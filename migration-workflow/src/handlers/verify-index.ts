import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { requireInteger } from './validate-input';
import {
  finishVerification,
  startVerification,
  verifySegment,
  type VerifyIndexReport,
  type VerifySegmentState,
} from './verify-segments';

export interface VerifyIndexInput {
  doc: DynamoDBDocumentClient;
  client: DynamoDBClient;
  tableName: string;
  /** A derived index (DERIVED_INDEXES); default `event-id-index`. */
  indexName?: string;
  /** How many random event items to look up through the index. */
  sampleSize: number;
  /** Uniform in [0, 1); injectable for reproducible samples. */
  random?: () => number;
  /**
   * The counts cover event items created at least this long before verification started (default
   * 5 s): the API keeps writing during a migration, and a new item reaches the index a moment after
   * the table. A count mismatch is also re-checked after this long, in case an event was deleted
   * between the two counts.
   */
  settleMs?: number;
  /** Counts taken before a mismatch is reported (default 3). */
  countAttempts?: number;
  /** How long verification may run before TTL could delete what it counts (default 24 h). */
  ttlMarginSeconds?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const DEFAULT_SETTLE_MS = 5000;
const DEFAULT_COUNT_ATTEMPTS = 3;

/**
 * The whole verification in one call (small tables, manual checks): the steps the state machine runs,
 * with a single scan segment. Checks that the index is complete rather than trusting its ACTIVE status:
 * every event item that belongs in it carries its derived attributes with the right values (and no other
 * carries them), table and index hold as many such items (a `permanent` index only), and sampled lookups
 * find their items.
 */
export async function verifyIndex(input: VerifyIndexInput): Promise<VerifyIndexReport> {
  const settleMs = requireInteger('settleMs', input.settleMs ?? DEFAULT_SETTLE_MS, 0, 15 * 60_000);
  const maxCountAttempts = input.countAttempts ?? DEFAULT_COUNT_ATTEMPTS;
  const sleep = input.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let countAttempts = 0; ;) {
    const start = await startVerification({ ...input, settleMs, totalSegments: 1, countAttempts });
    let state: VerifySegmentState | undefined;
    do {
      state = await verifySegment({
        doc: input.doc,
        state: state ?? { ...start, segment: 0, totalSegments: 1, sampleSize: start.segmentSampleSize },
        timeBudgetMs: 15 * 60_000,
        ...(input.random && { random: input.random }),
        ...(input.now && { now: input.now }),
      });
    } while (!state.done);
    const { recount, ...report } = await finishVerification({
      doc: input.doc,
      start,
      segments: [state],
      sampleSize: start.segmentSampleSize,
      maxCountAttempts,
      ...(input.now && { now: input.now }),
    });
    if (!recount) return report;
    countAttempts = report.countAttempts;
    await sleep(settleMs);
  }
}
