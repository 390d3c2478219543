/**
 * The HTTP API stage's access log line (one JSON object per request, written by API Gateway). It covers what
 * the function's own log cannot: requests API Gateway answered itself (429 when throttled, 500 when the
 * integration failed or Lambda throttled the function) and why, with the route they matched.
 */
export const HTTP_API_ACCESS_LOG_FORMAT = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  method: '$context.httpMethod',
  path: '$context.path',
  routeKey: '$context.routeKey',
  status: '$context.status',
  latencyMs: '$context.responseLatency',
  integrationLatencyMs: '$context.integrationLatency',
  integrationStatus: '$context.integrationStatus',
  /** API Gateway's own error, e.g. `Too Many Requests` when the stage throttled the request. */
  errorMessage: '$context.error.message',
  errorResponseType: '$context.error.responseType',
  /** Why the integration failed, e.g. Lambda's throttling or a function error. */
  integrationErrorMessage: '$context.integrationErrorMessage',
} as const;
