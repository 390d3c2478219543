import { LatencyRecorder } from '../../../tooling/latency-recorder';
import { firstKnee, KNEE_WINDOW_SECONDS, type KneeLimits, type KneeWindow } from '../../scenarios/knee';
import {
  isSuccess,
  type EndpointSummary,
  type Knee,
  type LatencyFigures,
  type TimelinePoint,
} from '../../scenarios/summary-format';
import type { RequestOutcome } from './traffic';

interface Counts {
  requests: number;
  failed: number;
  byStatus: Record<string, number>;
}

interface Second {
  targetRate: number;
  iterations: number;
  dropped: number;
  requests: number;
  failed: number;
  eventsAccepted: number;
  latency: LatencyRecorder;
}

function figures(recorder: LatencyRecorder): LatencyFigures | undefined {
  const { count, p50Ms, p95Ms, p99Ms, maxMs } = recorder.summary();
  return count === 0 ? undefined : { p50Ms, p95Ms, p99Ms, maxMs };
}

function count(counts: Counts, status: number): void {
  counts.requests++;
  if (!isSuccess(status)) counts.failed++;
  counts.byStatus[status] = (counts.byStatus[status] ?? 0) + 1;
}

/**
 * Everything a run measures: per endpoint and overall (HDR histograms, latency from the time a request
 * was due), and per second of the run for the timeline and the knee. Requests count in the second
 * they were due.
 */
export class RunRecorder {
  private readonly endpoints = new Map<string, Counts & { latency: LatencyRecorder }>();
  private readonly total: Counts = { requests: 0, failed: 0, byStatus: {} };
  private readonly seconds: Second[];
  private started = 0;
  private dropped = 0;
  private accepted = 0;

  constructor(
    private readonly startAt: number,
    durationSeconds: number,
    targetRateAt: (second: number) => number,
  ) {
    this.seconds = Array.from({ length: Math.ceil(durationSeconds) }, (_, t) => ({
      targetRate: targetRateAt(t),
      iterations: 0,
      dropped: 0,
      requests: 0,
      failed: 0,
      eventsAccepted: 0,
      latency: new LatencyRecorder(),
    }));
  }

  private secondOf(at: number): Second | undefined {
    const index = Math.min(this.seconds.length - 1, Math.max(0, Math.floor((at - this.startAt) / 1000)));
    return this.seconds[index];
  }

  iterationStarted(dueAt: number): void {
    this.started++;
    const second = this.secondOf(dueAt);
    if (second) second.iterations++;
  }

  iterationDropped(dueAt: number): void {
    this.dropped++;
    const second = this.secondOf(dueAt);
    if (second) second.dropped++;
  }

  record(outcome: RequestOutcome): void {
    const latencyMs = outcome.doneAt - outcome.dueAt;
    let endpoint = this.endpoints.get(outcome.endpoint);
    if (!endpoint) {
      endpoint = { requests: 0, failed: 0, byStatus: {}, latency: new LatencyRecorder() };
      this.endpoints.set(outcome.endpoint, endpoint);
    }
    count(endpoint, outcome.status);
    count(this.total, outcome.status);
    endpoint.latency.recordMs(latencyMs);
    this.accepted += outcome.accepted;
    const second = this.secondOf(outcome.dueAt);
    if (!second) return;
    second.requests++;
    if (!isSuccess(outcome.status)) second.failed++;
    second.eventsAccepted += outcome.accepted;
    second.latency.recordMs(latencyMs);
  }

  get totals(): { started: number; dropped: number; requests: number; failed: number; accepted: number } {
    return {
      started: this.started,
      dropped: this.dropped,
      requests: this.total.requests,
      failed: this.total.failed,
      accepted: this.accepted,
    };
  }

  /** Latency of the last complete seconds up to `second` (for progress lines). */
  recentP95Ms(second: number): number | undefined {
    return this.seconds[second] ? figures(this.seconds[second].latency)?.p95Ms : undefined;
  }

  byStatus(): Record<string, number> {
    return { ...this.total.byStatus };
  }

  endpointSummaries(): Record<string, EndpointSummary> {
    return Object.fromEntries(
      [...this.endpoints].map(([name, e]) => {
        const latency = figures(e.latency);
        return [
          name,
          {
            requests: e.requests,
            failed: e.failed,
            successRate: e.requests === 0 ? 0 : (e.requests - e.failed) / e.requests,
            ...(latency && { latency }),
            byStatus: { ...e.byStatus },
          },
        ];
      }),
    );
  }

  timeline(): TimelinePoint[] {
    return this.seconds.map((s, t) => {
      const latency = figures(s.latency);
      return {
        t,
        targetRate: s.targetRate,
        iterations: s.iterations,
        dropped: s.dropped,
        requests: s.requests,
        failed: s.failed,
        ...(latency && { latency }),
        eventsAccepted: s.eventsAccepted,
      };
    });
  }

  /**
   * The first 5-second window in which the run broke (load/scenarios/knee.ts), sliding a second at a
   * time: p95 over the target, failures over the budget, or iterations dropped. Null when none did.
   */
  knee(limits: KneeLimits): Knee | null {
    return firstKnee(this.slidingWindows(), limits);
  }

  private *slidingWindows(): Generator<KneeWindow> {
    for (let start = 0; start + KNEE_WINDOW_SECONDS <= this.seconds.length; start++) {
      const window = this.seconds.slice(start, start + KNEE_WINDOW_SECONDS);
      const latency = new LatencyRecorder();
      for (const s of window) latency.add(s.latency);
      yield {
        startSeconds: start,
        lengthSeconds: KNEE_WINDOW_SECONDS,
        targetRate: this.seconds[start]?.targetRate ?? 0,
        requests: window.reduce((sum, s) => sum + s.requests, 0),
        failed: window.reduce((sum, s) => sum + s.failed, 0),
        p95Ms: figures(latency)?.p95Ms,
        dropped: window.reduce((sum, s) => sum + s.dropped, 0),
        eventsAccepted: window.reduce((sum, s) => sum + s.eventsAccepted, 0),
      };
    }
  }
}
