/**
 * The one definition of what the API emits (DESIGN §7). The monitoring stack imports these names,
 * so what is emitted and what is alarmed on cannot drift.
 */

/** CloudWatch namespace for a stage, e.g. `TriggersAPI/Production`. */
export function metricNamespace(stage: string): string {
  return `TriggersAPI/${stage}`;
}

export type MetricUnit = 'Milliseconds' | 'Count' | 'Percent' | 'Count/Second';

export interface MetricDefinition {
  readonly name: string;
  readonly unit: MetricUnit;
  readonly description: string;
}

export const MetricNames = {
  apiLatency: { name: 'ApiLatency', unit: 'Milliseconds', description: 'Request latency; p50/p95/p99 from raw values' },
  apiRequestCount: { name: 'ApiRequestCount', unit: 'Count', description: 'Requests served' },
  apiSuccessRate: { name: 'ApiSuccessRate', unit: 'Percent', description: 'Non-5xx responses / all responses' },
  apiErrorRate: { name: 'ApiErrorRate', unit: 'Percent', description: '5xx responses / all responses' },
  apiErrorCount: { name: 'ApiErrorCount', unit: 'Count', description: 'Error responses, also by ErrorType' },
  eventIngestionRate: { name: 'EventIngestionRate', unit: 'Count/Second', description: 'Events accepted per second' },
  eventLookup: { name: 'EventLookup', unit: 'Count', description: 'Event lookups by Method (gsi or scan)' },
} as const satisfies Record<string, MetricDefinition>;

export const DimensionNames = {
  endpoint: 'Endpoint',
  errorType: 'ErrorType',
  method: 'Method',
} as const;

/** The `ErrorType` of requests the API shed past its concurrency limit (the error code `OVERLOADED`). */
export const SHED_LOAD_ERROR_TYPE = 'OVERLOADED';

/** The health check stays outside admission control: it must answer while the API sheds. */
export const UNSHED_ENDPOINTS: readonly string[] = ['GET /v1/health'];

/** The API's routes as `METHOD /route/template`: the values of the `Endpoint` dimension. */
export const API_ENDPOINTS = [
  'GET /v1/health',
  'POST /v1/events',
  'POST /v1/events/batch',
  'GET /v1/events/{event_id}',
  'POST /v1/events/{event_id}/ack',
  'DELETE /v1/events/{event_id}',
  'GET /v1/inbox',
] as const;

export type ApiEndpoint = (typeof API_ENDPOINTS)[number];

/** Koa route path to its template form: `/v1/events/:event_id` -> `/v1/events/{event_id}`. */
export function routeTemplate(routePath: string): string {
  return routePath.replace(/:(\w+)/g, '{$1}');
}

/** Endpoint dimension for a method and a route path, e.g. `GET /v1/events/{event_id}`. */
export function endpointName(method: string, routePath: string): string {
  return `${method.toUpperCase()} ${routeTemplate(routePath)}`;
}

/** Values of the `Method` dimension of `EventLookup`: how an event was found. */
export const LOOKUP_METHODS = ['gsi', 'scan'] as const;

export type LookupMethod = (typeof LOOKUP_METHODS)[number];

/** Names on the Prometheus `/metrics` endpoint: the same facts as {@link MetricNames}, in Prometheus conventions. */
export const PrometheusMetricNames = {
  requestDurationSeconds: 'triggers_api_request_duration_seconds',
  requestsTotal: 'triggers_api_requests_total',
  errorsTotal: 'triggers_api_errors_total',
  eventsIngestedTotal: 'triggers_api_events_ingested_total',
  eventLookupsTotal: 'triggers_api_event_lookups_total',
} as const;
