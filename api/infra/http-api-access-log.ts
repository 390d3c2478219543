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
  /**
   * API Gateway's own error, e.g. `Too Many Requests` when the stage throttled the request. The
   * `messageString` variable is the message already quoted and escaped as a JSON string, so a message
   * holding a quote cannot break the line: it is written without quotes of its own (`accessLogFormat`).
   */
  errorMessage: '$context.error.messageString',
  errorResponseType: '$context.error.responseType',
  /**
   * Why the integration failed, e.g. Lambda's throttling or a function error. API Gateway has no escaped
   * variant of this one: its messages are API Gateway's own wording.
   */
  integrationErrorMessage: '$context.integrationErrorMessage',
} as const;

/** Variables whose value API Gateway writes as a complete JSON string, quotes included. */
const SELF_QUOTED = new Set<string>(['$context.error.messageString']);

/** The stage's access log format: one JSON object, every value quoted except the self-quoted ones. */
export function accessLogFormat(fields: Record<string, string> = HTTP_API_ACCESS_LOG_FORMAT): string {
  const entries = Object.entries(fields).map(
    ([name, variable]) => `${JSON.stringify(name)}:${SELF_QUOTED.has(variable) ? variable : JSON.stringify(variable)}`,
  );
  return `{${entries.join(',')}}`;
}
