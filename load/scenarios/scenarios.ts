/**
 * The load scenarios as data: the k6 scripts and the local runner both read them, so both send the
 * same traffic. Nothing here may import Node or k6 modules (k6 bundles this file; Node runs it).
 */
import type { ApiEndpoint } from '../../contract/metrics';

export const SCENARIO_NAMES = [
  'event_ingestion',
  'batch_ingestion',
  'inbox_polling',
  'mixed_workload',
  'stress_test',
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/**
 * What one iteration does:
 * - `create`: POST /v1/events;
 * - `create-batch`: POST /v1/events/batch with `batchSize` events;
 * - `poll-and-ack`: GET /v1/inbox?limit=N, then POST .../ack for every event it returned;
 * - `poll`: GET /v1/inbox?limit=N;
 * - `ack` / `delete`: ack or delete one event this generator created earlier (a create when there is none yet);
 * - `get`: GET /v1/events/{id} of an event this generator created earlier (a create when there is none yet).
 */
export type IterationKind = 'create' | 'create-batch' | 'poll-and-ack' | 'poll' | 'ack' | 'delete' | 'get';

export interface WeightedIteration {
  kind: IterationKind;
  /** Relative weight; the weights of a traffic part need not add up to anything. */
  weight: number;
}

/** A stage of a ramping arrival rate: reach `target` iterations/s linearly over this fraction of the run. */
export interface RampStage {
  target: number;
  /** Share of the run's duration, 0-1; the shares of a ramp add up to 1. */
  durationShare: number;
}

/** One arrival process of a scenario (one k6 scenario): iterations start at this rate whatever the server does. */
export interface TrafficPart {
  /** k6 scenario name, e.g. `producers`. */
  name: string;
  executor: 'constant-arrival-rate' | 'ramping-arrival-rate';
  /** Iterations per second: the constant rate, or the start rate of a ramp. */
  rate: number;
  /** Only for `ramping-arrival-rate`. */
  stages?: RampStage[];
  /** Iterations in flight at most (k6 `maxVUs`); an iteration due while all are busy is dropped and counted. */
  maxInFlight: number;
  mix: WeightedIteration[];
  /** Seconds an iteration keeps its slot after its requests (a user reading the response). */
  thinkTimeSeconds: number;
  /** `limit` of inbox polls. */
  inboxLimit?: number;
  /** Events in each `create-batch` iteration (default {@link DEFAULT_BATCH_SIZE}). */
  batchSize?: number;
}

export interface ScenarioSpec {
  name: ScenarioName;
  description: string;
  /** Default duration of a run in seconds. */
  durationSeconds: number;
  /** The part `--rate` sets; the other parts scale by the same factor. */
  primary: string;
  traffic: TrafficPart[];
  /** The endpoints this scenario exercises: each must get samples, or the run fails. */
  endpoints: ApiEndpoint[];
  /** What a run of this scenario is judged on: the compare gate, the k6 options and the runner read it. */
  role: ScenarioRole;
}

/** What a scenario's runs are judged on. */
export interface ScenarioRole {
  /**
   * `slo`: the SLO thresholds gate the whole run. `capacity`: the run ramps past capacity on purpose, so its
   * whole-run SLO figures and dropped iterations are shown but not gated; its knee is.
   */
  gate: 'slo' | 'capacity';
  /** The run offers the ingestion objective's rate for its whole length, so the objective gates it. */
  ingestionObjective: boolean;
}

/** `limit` of inbox polls whose traffic part sets none (k6 and the local runner alike). */
export const DEFAULT_INBOX_LIMIT = 20;

/** Events per `create-batch` iteration whose traffic part sets no `batchSize`. */
export const DEFAULT_BATCH_SIZE = 10;

/** Event ids a generator remembers for ack, delete and get; the oldest are forgotten first. */
export const CREATED_EVENTS_REMEMBERED = 10_000;

export const SCENARIOS: Record<ScenarioName, ScenarioSpec> = {
  event_ingestion: {
    name: 'event_ingestion',
    description: 'Producers post events at a constant 1,000/s: the ingestion objective.',
    durationSeconds: 60,
    primary: 'ingest',
    traffic: [
      {
        name: 'ingest',
        executor: 'constant-arrival-rate',
        rate: 1000,
        maxInFlight: 500,
        mix: [{ kind: 'create', weight: 1 }],
        thinkTimeSeconds: 0,
      },
    ],
    endpoints: ['POST /v1/events'],
    role: { gate: 'slo', ingestionObjective: true },
  },
  batch_ingestion: {
    name: 'batch_ingestion',
    description:
      'Producers post batches of 10 events at a constant 100/s: the ingestion objective through the batch endpoint.',
    durationSeconds: 60,
    primary: 'batches',
    traffic: [
      {
        name: 'batches',
        executor: 'constant-arrival-rate',
        rate: 100,
        maxInFlight: 200,
        mix: [{ kind: 'create-batch', weight: 1 }],
        thinkTimeSeconds: 0,
        batchSize: DEFAULT_BATCH_SIZE,
      },
    ],
    endpoints: ['POST /v1/events/batch'],
    role: { gate: 'slo', ingestionObjective: true },
  },
  inbox_polling: {
    name: 'inbox_polling',
    description: 'Producers post 200 events/s while consumers poll the inbox 10 times a second and ack what they get.',
    durationSeconds: 60,
    primary: 'producers',
    traffic: [
      {
        name: 'producers',
        executor: 'constant-arrival-rate',
        rate: 200,
        maxInFlight: 200,
        mix: [{ kind: 'create', weight: 1 }],
        thinkTimeSeconds: 0,
      },
      {
        name: 'consumers',
        executor: 'constant-arrival-rate',
        rate: 10,
        maxInFlight: 50,
        mix: [{ kind: 'poll-and-ack', weight: 1 }],
        thinkTimeSeconds: 0,
        inboxLimit: 25,
      },
    ],
    endpoints: ['POST /v1/events', 'GET /v1/inbox', 'POST /v1/events/{event_id}/ack'],
    role: { gate: 'slo', ingestionObjective: false },
  },
  mixed_workload: {
    name: 'mixed_workload',
    description: 'Clients at 500 iterations/s: 70 % create, 20 % inbox, 5 % ack, 5 % delete, 0.5 s think time.',
    durationSeconds: 60,
    primary: 'clients',
    traffic: [
      {
        name: 'clients',
        executor: 'constant-arrival-rate',
        rate: 500,
        maxInFlight: 1000,
        mix: [
          { kind: 'create', weight: 70 },
          { kind: 'poll', weight: 20 },
          { kind: 'ack', weight: 5 },
          { kind: 'delete', weight: 5 },
        ],
        thinkTimeSeconds: 0.5,
        inboxLimit: 20,
      },
    ],
    endpoints: ['POST /v1/events', 'GET /v1/inbox', 'POST /v1/events/{event_id}/ack', 'DELETE /v1/events/{event_id}'],
    role: { gate: 'slo', ingestionObjective: false },
  },
  stress_test: {
    name: 'stress_test',
    description: 'Creates ramp from 200/s to 3,000/s, past capacity, to find the knee where p95 or errors break.',
    durationSeconds: 90,
    primary: 'ramp',
    traffic: [
      {
        name: 'ramp',
        executor: 'ramping-arrival-rate',
        rate: 200,
        stages: [{ target: 3000, durationShare: 1 }],
        maxInFlight: 1000,
        mix: [{ kind: 'create', weight: 1 }],
        thinkTimeSeconds: 0,
      },
    ],
    endpoints: ['POST /v1/events'],
    role: { gate: 'capacity', ingestionObjective: false },
  },
};

/** The scenario with its rates scaled so the primary part runs at `rate` (stage targets scale too). */
export function withRate(spec: ScenarioSpec, rate: number): ScenarioSpec {
  const primary = spec.traffic.find((part) => part.name === spec.primary);
  if (!primary) throw new Error(`Scenario ${spec.name} has no traffic part ${spec.primary}`);
  const peak = Math.max(primary.rate, ...(primary.stages ?? []).map((stage) => stage.target));
  const factor = rate / peak;
  return {
    ...spec,
    traffic: spec.traffic.map((part) => ({
      ...part,
      rate: part.rate * factor,
      ...(part.stages && { stages: part.stages.map((stage) => ({ ...stage, target: stage.target * factor })) }),
      maxInFlight: Math.max(1, Math.ceil(part.maxInFlight * Math.max(1, factor))),
    })),
  };
}

/** Iterations per second of a part `elapsedSeconds` into a run of `durationSeconds`. */
export function rateAt(part: TrafficPart, elapsedSeconds: number, durationSeconds: number): number {
  if (!part.stages) return part.rate;
  let from = part.rate;
  let stageStart = 0;
  for (const stage of part.stages) {
    const length = stage.durationShare * durationSeconds;
    if (elapsedSeconds < stageStart + length)
      return from + ((stage.target - from) * (elapsedSeconds - stageStart)) / length;
    from = stage.target;
    stageStart += length;
  }
  return from;
}

/**
 * Peak iterations per second the run asks for, all traffic parts together: the `requestedRate` of its
 * summary. Rates are piecewise linear, so the peak sits at a stage boundary.
 */
export function requestedRate(spec: ScenarioSpec, durationSeconds: number): number {
  const boundaries = [0, durationSeconds];
  for (const part of spec.traffic) {
    let elapsed = 0;
    for (const stage of part.stages ?? []) {
      elapsed += stage.durationShare * durationSeconds;
      boundaries.push(Math.min(elapsed, durationSeconds));
    }
  }
  const total = (t: number): number => spec.traffic.reduce((sum, part) => sum + rateAt(part, t, durationSeconds), 0);
  return Math.max(...boundaries.map(total));
}

/**
 * Events the run asks to create per second at its peak: {@link requestedRate} with each part's iterations
 * weighted by the events its mix creates (a `create-batch` iteration creates `batchSize`, the others one at
 * most; only creating iterations count). The ingestion objective is held against this.
 */
export function requestedEventRate(spec: ScenarioSpec, durationSeconds: number): number {
  const eventsPerIteration = (part: TrafficPart): number => {
    const total = part.mix.reduce((sum, entry) => sum + entry.weight, 0);
    const events = part.mix.reduce(
      (sum, { kind, weight }) =>
        sum + weight * (kind === 'create-batch' ? (part.batchSize ?? DEFAULT_BATCH_SIZE) : kind === 'create' ? 1 : 0),
      0,
    );
    return total === 0 ? 0 : events / total;
  };
  const weighted = {
    ...spec,
    traffic: spec.traffic.map((part) => ({
      ...part,
      rate: part.rate * eventsPerIteration(part),
      stages: part.stages?.map((stage) => ({ ...stage, target: stage.target * eventsPerIteration(part) })),
    })),
  };
  return requestedRate(weighted, durationSeconds);
}

/** Iterations due between `fromSeconds` and `toSeconds` of a run, all parts together (the integral of the rate). */
export function iterationsDue(
  spec: ScenarioSpec,
  fromSeconds: number,
  toSeconds: number,
  durationSeconds: number,
): number {
  const end = Math.min(toSeconds, durationSeconds);
  // Midpoint rule in 10 ms steps: exact on a constant rate and within a step's worth on a ramp.
  const step = 0.01;
  let due = 0;
  for (let t = fromSeconds; t < end; t += step) {
    const width = Math.min(step, end - t);
    due += spec.traffic.reduce((sum, part) => sum + rateAt(part, t + width / 2, durationSeconds), 0) * width;
  }
  return due;
}

/** Picks an iteration kind by weight for a uniform `random` in [0, 1). */
export function pickIteration(mix: WeightedIteration[], random: number): IterationKind {
  const total = mix.reduce((sum, entry) => sum + entry.weight, 0);
  let threshold = random * total;
  for (const entry of mix) {
    threshold -= entry.weight;
    if (threshold < 0) return entry.kind;
  }
  return mix[mix.length - 1]?.kind ?? 'create';
}

/** The `sequence`-th event a generator posts. */
function loadEvent(sequence: number): Record<string, unknown> {
  return {
    source: 'load-test',
    event_type: sequence % 10 === 0 ? 'order.refunded' : 'order.created',
    payload: { order_id: `ord_${sequence}`, amount: 1000 + (sequence % 9000), currency: 'EUR' },
    metadata: { scenario: 'load' },
  };
}

/** The body of the `sequence`-th event a generator posts. */
export function eventBody(sequence: number): string {
  return JSON.stringify(loadEvent(sequence));
}

/** The body of a batch of `size` events, the first being the `firstSequence`-th a generator posts. */
export function batchBody(firstSequence: number, size: number): string {
  return JSON.stringify({ events: Array.from({ length: size }, (_, i) => loadEvent(firstSequence + i)) });
}

/** Parses `60`, `60s`, `2m` or `1h` into seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(text.trim());
  if (!match) throw new Error(`Not a duration: '${text}' (use e.g. 60s, 2m)`);
  const unit = { s: 1, m: 60, h: 3600 }[(match[2] ?? 's') as 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}
