import { StateNames } from '../../infra/event-id-index-migration/state-names';

/**
 * What an operator sees while a migration runs, from either source: the execution history of Step
 * Functions or the event log of the local runner. Both are translated into these events first.
 */
export type ProgressEvent =
  | { kind: 'state'; name: string }
  | { kind: 'backfill-started'; segments: number }
  /** One backfill invocation finished: its counts. */
  | { kind: 'backfill-progress'; scanned: number; updated: number }
  | { kind: 'segment-done' }
  | { kind: 'retry'; state: string; attempt: number; error: string }
  | { kind: 'failed'; error: string; cause: string };

/** States of the loops (polling, per-segment backfill): summarized instead of printed one by one. */
const LOOP_STATES = new Set<string>([
  StateNames.waitForIndex,
  StateNames.isIndexActive,
  StateNames.indexActive,
  StateNames.countPoll,
  StateNames.outOfPolls,
  StateNames.backfillSegment,
  StateNames.segmentFinished,
  StateNames.carryOn,
  StateNames.segmentDone,
  StateNames.runSegment,
  StateNames.verifySegment,
  StateNames.segmentVerified,
  StateNames.segmentCounted,
  StateNames.waitForIndexToGo,
  StateNames.isIndexStillThere,
  StateNames.indexGone,
]);
const POLL_STATES = new Set<string>([StateNames.describeIndex, StateNames.describeAfterDelete]);

/** A text progress bar: `[######----] 6/10`. */
export function progressBar(done: number, total: number, width = 20): string {
  const filled = total === 0 ? 0 : Math.round((width * Math.min(done, total)) / total);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}`;
}

/** Turns progress events into lines: state transitions, retries, and a backfill bar with item counts. */
export class ProgressPrinter {
  private segments = 0;
  private segmentsDone = 0;
  private scanned = 0;
  private updated = 0;
  private polls = 0;

  constructor(private readonly out: (line: string) => void) {}

  handle(event: ProgressEvent): void {
    switch (event.kind) {
      case 'state':
        if (POLL_STATES.has(event.name)) {
          this.out(`   ${event.name}: poll ${++this.polls}`);
        } else if (!LOOP_STATES.has(event.name)) {
          this.polls = 0;
          this.out(`-> ${event.name}`);
        }
        return;
      case 'backfill-started':
        this.segments = event.segments;
        this.out(`Backfill started over ${event.segments} segments`);
        return;
      case 'backfill-progress':
        this.scanned += event.scanned;
        this.updated += event.updated;
        if (event.scanned > 0) this.out(this.backfillLine());
        return;
      case 'segment-done':
        this.segmentsDone++;
        this.out(this.backfillLine());
        return;
      case 'retry':
        this.out(`   ${event.state} failed with ${event.error}: retry ${event.attempt}`);
        return;
      case 'failed':
        this.out(`Execution failed: ${event.error} ${event.cause}`.trim());
        return;
    }
  }

  private backfillLine(): string {
    const items = `${this.updated.toLocaleString('en-US')} of ${this.scanned.toLocaleString('en-US')} event items updated`;
    return `Backfill ${progressBar(this.segmentsDone, this.segments)} segments, ${items}`;
  }
}
