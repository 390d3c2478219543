import { performance } from 'node:perf_hooks';
import type { Pool } from 'undici';
import { LatencyRecorder, type LatencySummary } from './latency-recorder';
import { runOpenModel } from './open-model';

export interface RunResult {
  sent: number;
  succeeded: number;
  failed: number;
  durationS: number;
  achievedRate: number;
  latency: LatencySummary;
  /** Latency of the operations that succeeded only (a fast refusal can hide slow successes in `latency`). */
  succeededLatency: LatencySummary;
  /** Latency of the operations that failed only (how fast a refusal came). */
  failedLatency: LatencySummary;
  failuresByReason: Record<string, number>;
}

/** One unit of work: resolves true on success, false or throws on failure (the reason is counted). */
export type Operation = (i: number) => Promise<boolean | string>;

/** The outcomes of a run's operations: latency of all, of the successes and of the failures, failures by reason. */
class Outcomes {
  readonly failures: Record<string, number> = {};
  succeeded = 0;
  private readonly all = new LatencyRecorder();
  private readonly ok = new LatencyRecorder();
  private readonly failed = new LatencyRecorder();

  record(succeeded: boolean, ms: number): void {
    this.all.recordMs(ms);
    if (succeeded) {
      this.succeeded++;
      this.ok.recordMs(ms);
    } else {
      this.failed.recordMs(ms);
    }
  }

  summarize(started: number, sent: number): RunResult {
    const durationS = (performance.now() - started) / 1000;
    return {
      sent,
      succeeded: this.succeeded,
      failed: sent - this.succeeded,
      durationS,
      achievedRate: this.succeeded / durationS,
      latency: this.all.summary(),
      succeededLatency: this.ok.summary(),
      failedLatency: this.failed.summary(),
      failuresByReason: this.failures,
    };
  }
}

/**
 * Open model at a constant rate: operation i is due at start + i/rate whatever the server does, and its
 * latency is measured from that scheduled time (the load runner's loop, `runOpenModel`).
 */
export async function runAtFixedRate(operation: Operation, ratePerS: number, durationS: number): Promise<RunResult> {
  const outcomes = new Outcomes();
  const total = Math.round(ratePerS * durationS);
  const started = performance.now();
  await runOpenModel({
    startedAt: started,
    dueTimesMs: Array.from({ length: total }, (_, i) => (i * 1000) / ratePerS),
    start: async (i, dueAt) => {
      const ok = await attempt(operation, i, outcomes.failures);
      outcomes.record(ok, performance.now() - dueAt);
    },
  });
  return outcomes.summarize(started, total);
}

/** Closed model at fixed concurrency for `durationS`: the maximum throughput a target sustains. */
export async function runAtMaxThroughput(
  operation: Operation,
  concurrency: number,
  durationS: number,
): Promise<RunResult> {
  const outcomes = new Outcomes();
  const deadline = performance.now() + durationS * 1000;
  let sent = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      const ok = await attempt(operation, sent++, outcomes.failures);
      outcomes.record(ok, performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return outcomes.summarize(started, sent);
}

/** Runs one operation; true when it succeeded, otherwise its reason is counted in `failures`. */
async function attempt(operation: Operation, i: number, failures: Record<string, number>): Promise<boolean> {
  try {
    const ok = await operation(i);
    if (ok === true) return true;
    failures[String(ok)] = (failures[String(ok)] ?? 0) + 1;
  } catch (error) {
    const reason = (error as { code?: string }).code ?? (error as Error).name;
    failures[reason] = (failures[reason] ?? 0) + 1;
  }
  return false;
}

/** Median of a list (mean of the two middle values for an even count). */
export function median(numbers: number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** `POST /v1/events` with a fixed body through a connection pool; success is a 201. */
export function eventPoster(pool: Pool, apiKey: string, body: string): Operation {
  return async () => {
    const res = await pool.request({
      method: 'POST',
      path: '/v1/events',
      headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
      body,
    });
    await res.body.dump();
    return res.statusCode === 201 ? true : `HTTP ${res.statusCode}`;
  };
}
