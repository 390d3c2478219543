import { SCENARIOS, type ScenarioName } from '../scenarios/scenarios';
import type { EndpointSummary, Knee, LoadSummary, TimelinePoint } from '../scenarios/summary-format';
import { machineClass } from './runner/machine-class';

export interface SyntheticSummaryOptions {
  scenario?: ScenarioName;
  generator?: LoadSummary['generator'];
  /** Run length; the timeline has one point per second, or per 5-second window for `windows`. */
  seconds?: number;
  /**
   * `seconds` (the local runner's), `windows` (k6's 5-second windows) or `none` (a summary without one);
   * by default the local runner's have seconds and k6's none.
   */
  timeline?: 'seconds' | 'windows' | 'none';
  /**
   * The machine class recorded; by default this machine's (LOAD_MACHINE_CLASS honoured), so a synthetic
   * baseline is comparable with a run of `npm run load` on the machine the tests run on.
   */
  machineClass?: string;
}

/** The per-endpoint figures of the synthetic runs: every endpoint a scenario can exercise. */
const ENDPOINT_FIGURES: Record<string, EndpointSummary> = {
  'POST /v1/events': {
    requests: 11_940,
    failed: 3,
    successRate: 11_937 / 11_940,
    latency: { p50Ms: 6.4, p95Ms: 38.2, p99Ms: 71.5, maxMs: 142 },
    byStatus: { '201': 11_930, '400': 7, '503': 3 },
  },
  'GET /v1/inbox': {
    requests: 600,
    failed: 0,
    successRate: 1,
    latency: { p50Ms: 12.1, p95Ms: 231, p99Ms: 290, maxMs: 410 },
    byStatus: { '200': 600 },
  },
  'POST /v1/events/{event_id}/ack': {
    requests: 9_870,
    failed: 0,
    successRate: 1,
    latency: { p50Ms: 4.2, p95Ms: 18.9, p99Ms: 33, maxMs: 90 },
    byStatus: { '200': 9_870 },
  },
  'DELETE /v1/events/{event_id}': {
    requests: 1_490,
    failed: 0,
    successRate: 1,
    latency: { p50Ms: 4.8, p95Ms: 21, p99Ms: 40, maxMs: 77 },
    byStatus: { '204': 1_490 },
  },
};

/**
 * A summary with made-up but consistent figures. The stress scenario ramps past capacity and has a knee
 * where its p95 first passes 100 ms; the others run at a constant rate with a latency bump in the middle.
 */
export function syntheticSummary(options: SyntheticSummaryOptions = {}): LoadSummary {
  const scenario = options.scenario ?? 'inbox_polling';
  const generator = options.generator ?? 'local-runner';
  const seconds = options.seconds ?? 60;
  const timelineKind = options.timeline ?? (generator === 'local-runner' ? 'seconds' : 'none');
  const stress = SCENARIOS[scenario].role.gate === 'capacity';
  const expectedEndpoints = [...SCENARIOS[scenario].endpoints];
  const timeline = Array.from({ length: seconds }, (_, t) =>
    stress ? rampPoint(t, seconds) : steadyPoint(t, peakRate(scenario)),
  );
  const windows = windowsOf(timeline);
  const started = timeline.reduce((sum, point) => sum + point.iterations, 0);
  const dropped = timeline.reduce((sum, point) => sum + point.dropped, 0);
  const accepted = timeline.reduce((sum, point) => sum + point.eventsAccepted, 0);
  const endpoints = Object.fromEntries(
    expectedEndpoints.map((endpoint) => [endpoint, stress ? STRESS_FIGURES : endpointFigures(endpoint)]),
  );
  const total = Object.values(endpoints).reduce((sum, figures) => sum + figures.requests, 0);
  const failed = Object.values(endpoints).reduce((sum, figures) => sum + figures.failed, 0);
  return {
    schemaVersion: 1,
    scenario,
    generator,
    target: 'http://127.0.0.1:3000',
    targetKind: 'started-by-runner',
    machineClass: options.machineClass ?? machineClass(process.env),
    startedAt: '2025-06-02T09:30:00.000Z',
    durationSeconds: seconds,
    requestedRate: peakRate(scenario),
    iterations: { started, dropped },
    requests: { total, failed, successRate: (total - failed) / total, ratePerSecond: total / seconds, byStatus: {} },
    eventsAccepted: { count: accepted, ratePerSecond: accepted / seconds },
    endpoints,
    expectedEndpoints,
    ...(timelineKind === 'seconds' && { timeline }),
    ...(timelineKind === 'windows' && { timeline: windows }),
    ...(stress && timelineKind !== 'none' && { knee: kneeOf(timelineKind === 'windows' ? windows : timeline) }),
  };
}

function endpointFigures(endpoint: string): EndpointSummary {
  const figures = ENDPOINT_FIGURES[endpoint];
  if (!figures) throw new Error(`No synthetic figures for ${endpoint}: add them to ENDPOINT_FIGURES`);
  return figures;
}

/** A stress run's totals: the ramp went past capacity, so p95 over the run misses its target. */
const STRESS_FIGURES: EndpointSummary = {
  requests: 94_800,
  failed: 1_180,
  successRate: (94_800 - 1_180) / 94_800,
  latency: { p50Ms: 14.2, p95Ms: 184, p99Ms: 331, maxMs: 612 },
  byStatus: { '201': 93_620, '503': 1_150, '0': 30 },
};

/** The peak rate a scenario asks for: the sum of its parts (the stress ramp's top). */
function peakRate(scenario: ScenarioName): number {
  return SCENARIOS[scenario].traffic.reduce(
    (sum, part) => sum + Math.max(part.rate, ...(part.stages ?? []).map((stage) => stage.target)),
    0,
  );
}

function steadyPoint(t: number, rate: number): TimelinePoint {
  // A latency bump between 25 and 35 s, so the charts have a shape to show.
  const bump = t >= 25 && t < 35 ? 60 : 0;
  return {
    t,
    targetRate: rate,
    iterations: rate,
    dropped: 0,
    requests: 2 * rate,
    failed: t === 30 ? 3 : 0,
    latency: { p50Ms: 6 + (t % 5), p95Ms: 35 + bump + (t % 7), p99Ms: 60 + 2 * bump + (t % 9), maxMs: 140 + 2 * bump },
    eventsAccepted: Math.round(rate * 0.95),
  };
}

function rampPoint(t: number, seconds: number): TimelinePoint {
  const targetRate = Math.round(200 + (2800 * t) / seconds);
  // Capacity tops out near 1,300/s: beyond it, iterations drop and latency climbs.
  const iterations = Math.min(targetRate, 1_300);
  const overload = Math.max(0, targetRate - 1_300);
  const failed = Math.round(overload * 0.05);
  return {
    t,
    targetRate,
    iterations,
    dropped: targetRate - iterations,
    requests: iterations,
    failed,
    latency: {
      p50Ms: 5 + overload / 40,
      p95Ms: 30 + overload / 8,
      p99Ms: 50 + overload / 5,
      maxMs: 120 + overload / 3,
    },
    eventsAccepted: iterations - failed,
  };
}

/** k6's view of the same run: 5-second windows adding up the seconds, rates averaged. */
function windowsOf(timeline: TimelinePoint[]): TimelinePoint[] {
  const windows: TimelinePoint[] = [];
  for (let start = 0; start < timeline.length; start += 5) {
    const points = timeline.slice(start, start + 5);
    const total = (read: (point: TimelinePoint) => number): number => points.reduce((sum, p) => sum + read(p), 0);
    const worst = points.reduce((a, b) => ((b.latency?.p95Ms ?? 0) > (a.latency?.p95Ms ?? 0) ? b : a));
    windows.push({
      t: start,
      lengthSeconds: points.length,
      targetRate: total((p) => p.targetRate) / points.length,
      iterations: total((p) => p.iterations),
      dropped: total((p) => p.dropped),
      requests: total((p) => p.requests),
      failed: total((p) => p.failed),
      ...(worst.latency && { latency: worst.latency }),
      eventsAccepted: total((p) => p.eventsAccepted),
    });
  }
  return windows;
}

function kneeOf(timeline: TimelinePoint[]): Knee | null {
  const point = timeline.find((p) => (p.latency?.p95Ms ?? 0) > 100);
  if (!point) return null;
  return {
    atSeconds: point.t,
    targetRate: point.targetRate,
    achievedRate: point.eventsAccepted / (point.lengthSeconds ?? 1),
    reason: `p95 ${Math.round(point.latency?.p95Ms ?? 0)} ms over the 100 ms target`,
  };
}
