import type { SloSpec } from '../../../contract/slo-spec';
import { API_ENDPOINTS } from '../../../contract/metrics';
import type { MetricsSnapshot, SnapshotResponse } from '../../../contract/metrics-snapshot';

/** The SLO targets the dashboard draws as horizontal lines, flattened from the spec for the page. */
export interface DashboardThresholds {
  /** p95 target per endpoint, keyed by `METHOD /route/template`; endpoints without one are absent. */
  latencyP95InMillis: Record<string, number>;
  /** Success-rate floor per endpoint. */
  successRateMinPercent: Record<string, number>;
  errorRateMaxPercent: number;
  ingestionMinEventsPerSecond: number;
}

/** What `GET /dashboard/data` answers: one recorder snapshot and the lines to draw over it. */
export interface DashboardData extends SnapshotResponse {
  thresholds: DashboardThresholds;
  /** The routes the API serves, so the page lays out every chart before the first request arrives. */
  endpoints: string[];
}

/** Flattens the SLO spec into the figures the dashboard draws. */
export function dashboardThresholds(slo: SloSpec): DashboardThresholds {
  return {
    latencyP95InMillis: Object.fromEntries(
      slo.latency.map((objective) => [objective.endpoint, objective.targetInMillis]),
    ),
    successRateMinPercent: Object.fromEntries(
      slo.successRate.map((objective) => [objective.endpoint, objective.minimumPercent]),
    ),
    errorRateMaxPercent: slo.errorRate.maximumPercent,
    ingestionMinEventsPerSecond: slo.ingestion.minimumEventsPerSecond,
  };
}

/** Pairs a snapshot with the thresholds and the endpoint list. */
export function dashboardData(snapshot: MetricsSnapshot, thresholds: DashboardThresholds): DashboardData {
  return { snapshot, thresholds, endpoints: [...API_ENDPOINTS] };
}
