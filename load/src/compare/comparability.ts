/**
 * Whether two load runs measure the same thing, so that one may gate the other: the same generator, the
 * same kind of target, the same class of machine and the same requested rate. A run on a shared CI
 * runner held to a baseline taken over loopback on another machine fails without any regression; a run
 * against a deployed stage held to a local baseline passes or fails by chance. Pure.
 */
import type { LoadSummary } from '../../scenarios/summary-format';

/** The command that records baselines with every field this check needs. */
export const RECORD_BASELINES_COMMAND = 'npm run load:baselines';

/** Both runs asked for the same peak rate (within 1 %). */
export function sameRequestedRate(current: LoadSummary, baseline: LoadSummary): boolean {
  return Math.abs(current.requestedRate - baseline.requestedRate) <= 0.01 * baseline.requestedRate;
}

/**
 * Why `baseline` cannot gate `current`, one plain sentence per field that differs or is unknown; empty
 * when the two are comparable.
 */
export function incomparabilities(current: LoadSummary, baseline: LoadSummary): string[] {
  const reasons: string[] = [];
  if (current.generator !== baseline.generator) {
    reasons.push(
      `generator differs (baseline ${baseline.generator}, this run ${current.generator}): they time requests differently`,
    );
  }
  reasons.push(
    ...fieldReasons('target kind', current.targetKind, baseline.targetKind, 'written before runs recorded it'),
    ...fieldReasons(
      'machine class',
      current.machineClass,
      baseline.machineClass,
      'a k6 run started by hand: set LOAD_MACHINE_CLASS, or run it through `npm run load -- --generator k6`',
    ),
  );
  if (!sameRequestedRate(current, baseline)) {
    reasons.push(
      `requested rate differs (baseline ${formatRate(baseline.requestedRate)}, this run ${formatRate(current.requestedRate)})`,
    );
  }
  return reasons;
}

function fieldReasons(
  field: string,
  now: string | undefined,
  before: string | undefined,
  whyUnknownNow: string,
): string[] {
  const reasons: string[] = [];
  if (before === undefined) {
    reasons.push(
      `the baseline records no ${field} (written before runs recorded it: re-record it with \`${RECORD_BASELINES_COMMAND}\`)`,
    );
  }
  if (now === undefined) reasons.push(`this run records no ${field} (${whyUnknownNow})`);
  if (before !== undefined && now !== undefined && before !== now) {
    reasons.push(`${field} differs (baseline ${before}, this run ${now})`);
  }
  return reasons;
}

function formatRate(rate: number): string {
  return `${Number(rate.toFixed(2)).toLocaleString('en-US')}/s`;
}
