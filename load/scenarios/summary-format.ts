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
  /** Responses by status code (`0` = no response). */
  byStatus: Record<string, number>;
}

/** One second of a run (local runner only: k6's summary has no time series). */
export interface TimelinePoint {
  /** Seconds since the start of the run (the point covers [t, t+1)). */
  t: number;
  /** Iterations per second the scenario asked for at this second. */
  targetRate: number;
  /** Iterations started. */
  iterations: number;
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

export interface LoadSummary {
  schemaVersion: typeof SUMMARY_SCHEMA_VERSION;
  scenario: ScenarioName;
  generator: 'k6' | 'local-runner';
  target: string;
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
    byStatus: Record<string, number>;
  };
  /** Events accepted (201 on POST /v1/events): count and per second over the run. */
  eventsAccepted: { count: number; ratePerSecond: number };
  /** Keyed by `METHOD /route/template`, e.g. `POST /v1/events`. */
  endpoints: Record<string, EndpointSummary>;
  /** Endpoints the scenario exercises: each must have samples. */
  expectedEndpoints: string[];
  timeline?: TimelinePoint[];
  /** Stress runs: where p95 or errors broke; null when they never did. */
  knee?: Knee | null;
  server?: ServerFigures;
}

/** A request succeeded unless it got no response or a 5xx: the SLO's definition. */
export function isSuccess(status: number): boolean {
  return status > 0 && status < 500;
}
