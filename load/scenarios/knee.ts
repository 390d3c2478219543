/**
 * The knee of a run that ramps past capacity: the first 5-second window in which p95, failures or dropped
 * iterations broke. One rule for both generators: the local runner slides the window a second at a time
 * over its per-second histograms; k6 reports fixed 5-second windows (k6-summary.ts). Types only and pure
 * functions: k6 bundles this file, Node runs it.
 */
import type { Knee } from './summary-format.ts';
import type { ScenarioSpec } from './scenarios.ts';

/** Width of the windows the knee is looked for in, in seconds. */
export const KNEE_WINDOW_SECONDS = 5;

/** What breaks a window: p95 above the ingestion endpoint's target, or more failures than the error budget. */
export interface KneeLimits {
  /** p95 of POST /v1/events must stay at or under this (the SLO's latency target). */
  p95TargetMs: number;
  /** Failed requests over requests, 0-1 (the SLO's maximum error rate). */
  maxFailureRate: number;
}

/** One window of a run, as the knee rule reads it. */
export interface KneeWindow {
  /** Seconds since the start of the run. */
  startSeconds: number;
  lengthSeconds: number;
  /** Iterations per second the scenario asked for at the start of the window. */
  targetRate: number;
  requests: number;
  failed: number;
  /** p95 over every request of the window; undefined when none was answered. */
  p95Ms: number | undefined;
  dropped: number;
  /** The dropped count is an estimate (k6 does not say when it dropped an iteration). */
  droppedEstimated?: boolean;
  eventsAccepted: number;
}

/** Whether runs of the scenario look for a knee: those that ramp their arrival rate. */
export function measuresKnee(spec: ScenarioSpec): boolean {
  return spec.traffic.some((part) => part.executor === 'ramping-arrival-rate');
}

/** The first window over a limit, or null when every window held. */
export function firstKnee(windows: Iterable<KneeWindow>, limits: KneeLimits): Knee | null {
  for (const window of windows) {
    const reasons = kneeReasons(window, limits);
    if (reasons.length > 0) {
      return {
        atSeconds: window.startSeconds,
        targetRate: Math.round(window.targetRate),
        achievedRate: window.eventsAccepted / window.lengthSeconds,
        reason: reasons.join('; '),
      };
    }
  }
  return null;
}

function kneeReasons(window: KneeWindow, limits: KneeLimits): string[] {
  const p95 = window.p95Ms ?? 0;
  const { requests, failed, dropped } = window;
  return [
    ...(p95 > limits.p95TargetMs ? [`p95 ${p95.toFixed(1)} ms > ${limits.p95TargetMs} ms`] : []),
    ...(requests > 0 && failed / requests > limits.maxFailureRate
      ? [`${((100 * failed) / requests).toFixed(2)} % failed > ${(100 * limits.maxFailureRate).toFixed(1)} %`]
      : []),
    ...(dropped > 0 ? [`${window.droppedEstimated ? 'about ' : ''}${dropped} iterations dropped`] : []),
  ];
}
