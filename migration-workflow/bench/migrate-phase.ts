import { performance } from 'node:perf_hooks';
import type { EmbeddedEngine } from '../../engine/src/embedded-engine';
import { readIndexState } from '../../api/src/store/index-control';
import { createDynamoDbClients } from '../../platform/dynamodb-client';
import { coresSince, coresText, cpuSnapshot, type CpuSnapshot } from '../../tooling/cpu-usage';
import { synthesizedMigrationDefinition } from '../infra/migration-definition';
import type { VerifyIndexReport } from '../src/handlers';
import { runMigrationLocally } from '../src/local/run-migration-locally';
import { fmt, running, say } from './bench-processes';
import type { Target } from './seed-phase';

const REGION = 'us-east-1';
const PROGRESS_MS = 5000;
/** A progress window counts as undisturbed when other processes used less CPU than this. */
export const QUIET_CORES = 0.1;
/** Length of a progress window, in seconds. */
export const PROGRESS_SECONDS = PROGRESS_MS / 1000;

export interface MigrationTiming {
  report: VerifyIndexReport;
  totalS: number;
  /** First segment scan to the last backfill write or segment scan. */
  backfillS: number;
  backfilled: number;
  /** Cores used from the backfill's start to the end of the execution. */
  cores: { own: number; others: number };
  /** Progress windows with every non-empty segment running and other processes under QUIET_CORES. */
  quiet: { rate: number }[];
}

/**
 * Runs the synthesized state machine locally on its own SDK clients; a middleware on them times the
 * backfill (segment scans and the `SET event_id` writes) and counts its writes, for progress lines.
 */
export async function migrate(
  engine: EmbeddedEngine,
  target: Target,
  options: { segments: number; maxWritesPerSecond: number },
): Promise<MigrationTiming> {
  const { segments, maxWritesPerSecond } = options;
  const db = createDynamoDbClients({ region: REGION, endpoint: engine.endpoint });
  running.clients.push(db);
  let backfillStart: number | undefined;
  let backfillCpu: CpuSnapshot | undefined;
  let backfillEnd = 0;
  let backfilled = 0;
  // Distinct items per segment: an invocation that runs out of time resumes within a page, which is read again.
  const segmentItems = Array.from({ length: segments }, () => new Set<string>());
  const segmentEnd = new Array<number>(segments).fill(0);
  const segmentDone = new Set<number>();
  db.client.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { Segment?: number; UpdateExpression?: string };
      const isBackfill = input.Segment !== undefined || input.UpdateExpression?.startsWith('SET #eventId') === true;
      if (isBackfill && backfillStart === undefined) {
        backfillStart = performance.now();
        backfillCpu = cpuSnapshot();
      }
      const result = await next(args);
      if (isBackfill) {
        backfillEnd = performance.now();
        if (input.UpdateExpression !== undefined) backfilled++;
        if (input.Segment !== undefined && result.output !== undefined) {
          for (const item of (result.output as { Items?: unknown[] }).Items ?? []) {
            segmentItems[input.Segment]?.add(JSON.stringify(item));
          }
          segmentEnd[input.Segment] = backfillEnd;
          if ((result.output as { LastEvaluatedKey?: unknown }).LastEvaluatedKey === undefined) {
            segmentDone.add(input.Segment);
          }
        }
      }
      return result;
    },
    { step: 'initialize', name: 'benchBackfillTimer' },
  );
  const tableName = target.tables.events;
  const started = performance.now();
  let intervalCpu = cpuSnapshot();
  let intervalCount = 0;
  const windows: { rate: number; others: number; running: number }[] = [];
  const progress = setInterval(() => {
    const interval = coresSince(intervalCpu);
    intervalCpu = cpuSnapshot();
    if (backfillStart === undefined) {
      say(`  ${tableName}: creating the index`);
    } else {
      const since = (performance.now() - backfillStart) / 1000;
      windows.push({
        rate: (backfilled - intervalCount) / PROGRESS_SECONDS,
        others: interval.others,
        running: segments - segmentDone.size,
      });
      say(
        `  ${tableName}: backfilled ${fmt(backfilled)} / ${fmt(target.items)} (${fmt(backfilled / since)} items/s so far, ${fmt(windows.at(-1)?.rate ?? 0)}/s in the last ${PROGRESS_SECONDS} s; ${coresText(interval)})`,
      );
    }
    intervalCount = backfilled;
  }, PROGRESS_MS);
  try {
    const report = (await runMigrationLocally(
      { tableName, totalSegments: segments, maxWritesPerSecond, maxPolls: 100 },
      {
        client: db.client,
        doc: db.doc,
        definition: synthesizedMigrationDefinition(tableName),
        waitMs: 200,
        sampleSize: 100,
      },
    )) as VerifyIndexReport;
    const totalS = (performance.now() - started) / 1000;
    // From the backfill's start to the end of the execution: verification adds a few seconds.
    const cores = backfillCpu === undefined ? { own: 0, others: 0 } : coresSince(backfillCpu);
    if (report.ok !== true) throw new Error(`the migration of ${tableName} did not verify: ${JSON.stringify(report)}`);
    const state = await readIndexState(db.client, db.doc, tableName);
    if (state !== 'verified') throw new Error(`after the migration ${tableName}'s index is ${state}, not verified`);
    const backfillS = backfillStart === undefined ? 0 : (backfillEnd - backfillStart) / 1000;
    const first = backfillStart ?? 0;
    // A segment is a range of the partition key's hash: a tenant's events all fall in one segment.
    say(
      `  items per scan segment (done after s): ${segmentItems.map((items, i) => `${fmt(items.size)} (${Math.max(0, ((segmentEnd[i] ?? 0) - first) / 1000).toFixed(1)})`).join(', ')}`,
    );
    // Undisturbed windows: whole windows of backfilling (not the first or last), with every segment that
    // has items still running (no tail of a few segments left) and other processes nearly idle.
    const withItems = segmentItems.filter((items) => items.size > 0).length;
    const quiet = windows.slice(1, -1).filter((w) => w.others < QUIET_CORES && w.running >= withItems);
    return { report, totalS, backfillS, backfilled, cores, quiet };
  } finally {
    clearInterval(progress);
  }
}
