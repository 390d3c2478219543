/** A CloudWatch Logs Insights query over the API's log lines (DESIGN §6), created by CDK as a saved query. */
export interface LogsInsightsQuery {
  /** Saved-query name (folder `triggers-api/`). */
  readonly name: string;
  readonly description: string;
  readonly queryString: string;
  /** Log-line fields the query reads; tests check real log lines carry each of them. */
  readonly fields: readonly string[];
  /** `message` of the lines the query selects, when it selects by message. */
  readonly selects?: string;
}

const ACCESS = 'Request completed';

/** The saved queries, one per question operators ask. */
export const LOGS_INSIGHTS_QUERIES: readonly LogsInsightsQuery[] = [
  {
    name: 'triggers-api/latency-percentiles-by-endpoint',
    description: 'Requests and p50/p95/p99 latency per endpoint, slowest p95 first',
    selects: ACCESS,
    fields: ['message', 'method', 'endpoint', 'duration_ms'],
    queryString: [
      `filter message = "${ACCESS}"`,
      'stats count(*) as requests, pct(duration_ms, 50) as p50_ms, pct(duration_ms, 95) as p95_ms, pct(duration_ms, 99) as p99_ms by method, endpoint',
      'sort p95_ms desc',
    ].join('\n| '),
  },
  {
    name: 'triggers-api/error-rate-by-endpoint',
    description: 'Share of 5xx responses (server errors) and of all error responses per endpoint',
    selects: ACCESS,
    fields: ['message', 'method', 'endpoint', 'server_error', 'error_type'],
    queryString: [
      `filter message = "${ACCESS}"`,
      'stats count(*) as requests, count(server_error) as server_errors, count(error_type) as errors by method, endpoint',
      'fields server_errors * 100 / requests as error_rate_percent, errors * 100 / requests as any_error_percent',
      'sort error_rate_percent desc',
    ].join('\n| '),
  },
  {
    name: 'triggers-api/errors-by-type',
    description: 'Error responses by error type, status code and endpoint',
    selects: ACCESS,
    fields: ['message', 'error_type', 'status_code', 'method', 'endpoint'],
    queryString: [
      `filter message = "${ACCESS}" and ispresent(error_type)`,
      'stats count(*) as errors by error_type, status_code, method, endpoint',
      'sort errors desc',
    ].join('\n| '),
  },
  {
    name: 'triggers-api/request-trail',
    description: 'Every line of one request, in order: replace the request id in the filter',
    fields: [
      'request_id',
      'level',
      'message',
      'method',
      'endpoint',
      'status_code',
      'duration_ms',
      'error_type',
      'event_id',
      'lookup_method',
    ],
    queryString: [
      'fields @timestamp, level, message, method, endpoint, status_code, duration_ms, error_type, event_id, lookup_method',
      'filter request_id = "REQUEST_ID"',
      'sort @timestamp asc',
    ].join('\n| '),
  },
  {
    name: 'triggers-api/lookups-by-method',
    description: 'Event lookups through event-id-index (gsi) versus partition scans (scan)',
    selects: ACCESS,
    fields: ['message', 'lookup_method', 'endpoint'],
    queryString: [
      `filter message = "${ACCESS}" and ispresent(lookup_method)`,
      'stats count(*) as lookups by lookup_method, endpoint',
    ].join('\n| '),
  },
  {
    name: 'triggers-api/slowest-requests',
    description: 'The 25 slowest requests with their ids, to follow up with request-trail',
    selects: ACCESS,
    fields: ['message', 'request_id', 'method', 'endpoint', 'status_code', 'duration_ms', 'tenant_id'],
    queryString: [
      `filter message = "${ACCESS}"`,
      'fields @timestamp, request_id, method, endpoint, status_code, duration_ms, tenant_id',
      'sort duration_ms desc',
      'limit 25',
    ].join('\n| '),
  },
];

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request-trail query for one request id. */
export function requestTrailQuery(requestId: string): string {
  if (!SANE_REQUEST_ID.test(requestId)) throw new Error(`Not a request id: '${requestId}'`);
  const trail = LOGS_INSIGHTS_QUERIES.find((q) => q.name === 'triggers-api/request-trail');
  if (!trail) throw new Error('request-trail query is missing');
  return trail.queryString.replace('REQUEST_ID', requestId);
}
