/** What {@link httpApiEvent} may set beyond the method and path. */
export interface HttpApiEventOptions {
  body?: string;
  /** The body is base64 (API Gateway does this for binary bodies). */
  isBase64Encoded?: boolean;
  headers?: Record<string, string>;
  /** The raw query string, without `?`. */
  query?: string;
}

/**
 * An API Gateway HTTP API (payload format 2.0) event, shaped as API Gateway sends it to the function
 * behind a `$default` route: for tests and benchmarks of the Lambda handler and its bundle.
 */
export function httpApiEvent(method: string, path: string, options: HttpApiEventOptions = {}) {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: options.query ?? '',
    headers: { host: 'abc123.execute-api.us-east-1.amazonaws.com', 'user-agent': 'curl/8.5.0', ...options.headers },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'curl/8.5.0' },
      requestId: 'JKJaXmPLvHcESHA=',
      routeKey: '$default',
      stage: '$default',
      time: '27/Nov/2026:01:00:00 +0000',
      timeEpoch: 1795741200000,
    },
    ...(options.body !== undefined ? { body: options.body } : {}),
    isBase64Encoded: options.isBase64Encoded ?? false,
  };
}
