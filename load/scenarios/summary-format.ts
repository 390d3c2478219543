/**
 * The summary JSON every load run writes, whoever generated the traffic: k6 (`handleSummary`) or the
 * local runner. `npm run load:compare` and the reports read only this. Types only, plus pure helpers:
 * k6 bundles this file, Node runs it. The JSON schema that checks files against it is
 * `load/src/summary-schema.ts`.
 */
import type { ScenarioName } from './scenarios';

export const SUMMARY_SCHEMA_VERSION = 1;

export interface LatencyFigures {
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface EndpointSummary {
  /** Requests sent to the endpoint (answered or not). */
  requests: number;
  /** Requests that failed: no response, or a 5xx (a 4xx is the API answering correctly). */
  failed: number;
  /** (requests - failed) / requests, 0-1; 0 when there were no requests. */
  successRate: number;
  /** Undefined when there were no requests. */
  latency?: LatencyFigures;
  /** Responses by status code (`0` = no response; `other` = statuses k6 was not told to count one by one). */
  byStatus: Record<string, number>;
}

/**
 * One point of a run's timeline: a second (local runner) or a 5-second window (k6, whose end-of-test
 * data holds per-window figures only). Counts are over the whole point.
 */
export interface TimelinePoint {
  /** Seconds since the start of the run (the point covers [t, t + lengthSeconds)). */
  t: number;
  /** Length of the point in seconds; 1 when absent. */
  lengthSeconds?: number;
  /** Iterations per second the scenario asked for over this point (on average). */
  targetRate: number;
  /** Iterations started. */
  iterations: number;
  /** Iterations due but not started. k6 does not say when it dropped one: its windows carry an estimate. */
  dropped: number;
  requests: number;
  failed: number;
  /** Undefined in a second without responses. */
  latency?: LatencyFigures;
  eventsAccepted: number;
}

/** Where the run broke, when it did (stress runs): the first 5-second window over a limit. */
export interface Knee {
  /** Seconds since the start. */
  atSeconds: number;
  /** The arrival rate the scenario asked for at that point. */
  targetRate: number;
  /** Events accepted per second in the window. */
  achievedRate: number;
  reason: string;
}

/** The API's own figures over the run (local runner against its own API only). */
export interface ServerFigures {
  /** Per endpoint as the API measured it (`GET /dashboard/data`, totals since the API started). */
  endpoints: Record<
    string,
    { requests: number; errors: number; latency?: { p50Ms: number; p95Ms: number; p99Ms: number } }
  >;
  eventsAccepted: number;
  lookups: { gsi: number; scan: number };
}

/**
 * What the run loaded: the API `npm run load` started on the generator's machine with its embedded
 * engine, or an API at a URL it was given (a deployed stage, or one started by hand).
 */
export const TARGET_KINDS = ['started-by-runner', 'given-url'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/** What a machine class may be spelled with: it names baseline folders, e.g. `linux-x64-4cpu-16gb`. */
export const MACHINE_CLASS_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';

export interface LoadSummary {
  schemaVersion: typeof SUMMARY_SCHEMA_VERSION;
  scenario: ScenarioName;
  generator: 'k6' | 'local-runner';
  target: string;
  /**
   * Which kind of target was loaded; with `generator`, `machineClass` and `requestedRate`, what makes two
   * runs comparable. Absent in summaries written before it was recorded.
   */
  targetKind?: TargetKind;
  /**
   * The class of machine that generated the load (and, for `started-by-runner`, served it), e.g.
   * `linux-x64-4cpu-16gb`, or the name `LOAD_MACHINE_CLASS` gave it. Absent when unknown.
   */
  machineClass?: string;
  startedAt: string;
  durationSeconds: number;
  /** Peak iterations per second the scenario asked for (all traffic parts together). */
  requestedRate: number;
  iterations: {
    started: number;
    /** Due but not started: every slot was busy (the generator could not keep the arrival rate). */
    dropped: number;
  };
  requests: {
    total: number;
    failed: number;
    successRate: number;
    /** Requests per second over the run. */
    ratePerSecond: number;
    /** As an endpoint's `byStatus`, over all endpoints. */
    byStatus: Record<string, number>;
  };
  /** Events accepted (201 on POST /v1/events): count and per second over the run. */
  eventsAccepted: { count: number; ratePerSecond: number };
  /** Keyed by `METHOD /route/template`, e.g. `POST /v1/events`. */
  endpoints: Record<string, EndpointSummary>;
  /** Endpoints the scenario exercises: each must have samples. */
  expectedEndpoints: string[];
  timeline?: TimelinePoint[];
  /**
   * Runs that ramp past capacity: where p95, errors or dropped iterations broke. `null` when it was
   * measured and no window broke; absent when it was not measured (no knee is not the same as "held").
   */
  knee?: Knee | null;
  server?: ServerFigures;
}

/** A request succeeded unless it got no response or a 5xx: the SLO's definition. */
export function isSuccess(status: number): boolean {
  return status > 0 && status < 500;
}
