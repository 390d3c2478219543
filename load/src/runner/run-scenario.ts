import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { SLO_SPEC, type SloSpec } from '../../../contract/slo-spec';
import { measuresKnee, type KneeLimits } from '../../scenarios/knee';
import { pickIteration, rateAt, requestedRate, type ScenarioSpec } from '../../scenarios/scenarios';
import { SUMMARY_SCHEMA_VERSION, type LoadSummary } from '../../scenarios/summary-format';
import { runOpenModel } from '../../../tooling/open-model';
import { RunRecorder } from './run-recorder';
import { dueTimesMs } from './schedule';
import { Traffic } from './traffic';

export interface RunScenarioOptions {
  /** The scenario, rates already scaled (`withRate`). */
  spec: ScenarioSpec;
  target: string;
  apiKey: string;
  durationSeconds: number;
  /** A line per second while it runs. */
  progress?: (line: string) => void;
  /** Connections to the target (default 256). */
  connections?: number;
  /** Seed of the iteration mix (default 1): the same seed sends the same sequence of kinds. */
  seed?: number;
  /** A connection pool to the target owned by the caller (e.g. kept warm from a warm-up run); left open. */
  pool?: Pool;
}

/** mulberry32: a small seeded PRNG, so a mix is reproducible run to run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The runner's connection pool: up to `connections` keep-alive connections, 30 s response timeouts. */
export function createPool(target: string, connections = 256): Pool {
  return new Pool(target, { connections, headersTimeout: 30_000, bodyTimeout: 30_000 });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs a scenario against `target` in the open model (`runOpenModel`): every iteration is due at a time
 * fixed before the run (`dueTimesMs`), starts then whatever the server does, and its first request's latency counts from
 * that time, so a slow server shows up as latency instead of as fewer requests (no coordinated
 * omission). A traffic part never has more than `maxInFlight` iterations running: one due while all are
 * busy is dropped and counted, as k6's arrival-rate executors do.
 */
export async function runScenario(options: RunScenarioOptions): Promise<LoadSummary> {
  const { spec, durationSeconds } = options;
  const pool = options.pool ?? createPool(options.target, options.connections);
  const random = seededRandom(options.seed ?? 1);
  const schedule = spec.traffic
    .flatMap((part, index) => dueTimesMs(part, durationSeconds).map((due) => ({ due, index })))
    .sort((a, b) => a.due - b.due);
  const targetRateAt = (second: number) =>
    spec.traffic.reduce((sum, part) => sum + rateAt(part, second + 0.5, durationSeconds), 0);

  const startedAt = new Date();
  const start = performance.now();
  const recorder = new RunRecorder(start, durationSeconds, targetRateAt);
  const traffic = new Traffic({
    pool,
    apiKey: options.apiKey,
    record: (outcome) => recorder.record(outcome),
    now: () => performance.now(),
  });
  const inFlight = spec.traffic.map(() => 0);
  let reported = 0;
  await runOpenModel({
    startedAt: start,
    dueTimesMs: schedule.map((item) => item.due),
    start: (next, dueAt) => {
      const index = schedule[next]?.index ?? 0;
      const part = spec.traffic[index];
      if (!part) return undefined;
      if ((inFlight[index] ?? 0) >= part.maxInFlight) {
        recorder.iterationDropped(dueAt);
        return undefined;
      }
      recorder.iterationStarted(dueAt);
      inFlight[index] = (inFlight[index] ?? 0) + 1;
      return traffic
        .iterate(pickIteration(part.mix, random()), dueAt, part.inboxLimit, part.batchSize)
        .then(() => (part.thinkTimeSeconds > 0 ? sleep(part.thinkTimeSeconds * 1000) : undefined))
        .finally(() => {
          inFlight[index] = (inFlight[index] ?? 1) - 1;
        });
    },
    onTick: (elapsed, running) => {
      if (!options.progress || elapsed < (reported + 1) * 1000) return;
      reported = Math.floor(elapsed / 1000);
      options.progress(progressLine(recorder, reported, durationSeconds, targetRateAt(reported - 1), running));
    },
  });
  if (!options.pool) await pool.close();

  const totals = recorder.totals;
  return {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    scenario: spec.name,
    generator: 'local-runner',
    target: options.target,
    startedAt: startedAt.toISOString(),
    durationSeconds,
    requestedRate: requestedRate(spec, durationSeconds),
    iterations: { started: totals.started, dropped: totals.dropped },
    requests: {
      total: totals.requests,
      failed: totals.failed,
      successRate: totals.requests === 0 ? 0 : (totals.requests - totals.failed) / totals.requests,
      ratePerSecond: totals.requests / durationSeconds,
      byStatus: recorder.byStatus(),
    },
    eventsAccepted: { count: totals.accepted, ratePerSecond: totals.accepted / durationSeconds },
    endpoints: recorder.endpointSummaries(),
    expectedEndpoints: [...spec.endpoints],
    timeline: recorder.timeline(),
    ...(measuresKnee(spec) && { knee: recorder.knee(sloKneeLimits(SLO_SPEC)) }),
  };
}

/** The knee's limits from the SLO spec: the ingestion endpoint's p95 target and the maximum error rate. */
export function sloKneeLimits(spec: SloSpec): KneeLimits {
  const ingestTarget = spec.latency.find((objective) => objective.endpoint === spec.ingestion.endpoint);
  return { p95TargetMs: ingestTarget?.targetInMillis ?? 100, maxFailureRate: spec.errorRate.maximumPercent / 100 };
}

function progressLine(
  recorder: RunRecorder,
  second: number,
  durationSeconds: number,
  targetRate: number,
  inFlight: number,
): string {
  const { started, dropped, requests, failed } = recorder.totals;
  const p95 = recorder.recentP95Ms(second - 1);
  const success = requests === 0 ? 100 : (100 * (requests - failed)) / requests;
  return [
    `[${String(second).padStart(4)}s/${durationSeconds}s]`,
    `target ${targetRate.toFixed(0)}/s`,
    `started ${started}`,
    `dropped ${dropped}`,
    `in flight ${inFlight}`,
    `p95(last s) ${p95 === undefined ? '-' : `${p95.toFixed(1)} ms`}`,
    `success ${success.toFixed(2)} %`,
  ].join('  ');
}
