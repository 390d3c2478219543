/** Strict base64 (what API Gateway sends when `isBase64Encoded` is true); Node's decoder would skip bad characters. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Why an invocation event is not an API Gateway HTTP API request (payload format 2.0), or undefined when it
 * is one: the fields the handler reads are present and well-typed, and a base64 body is base64.
 */
export function httpApiEventProblem(event: unknown): string | undefined {
  if (!isRecord(event)) return 'the event is not a JSON object';
  if (event.version !== '2.0') return "version must be '2.0' (API Gateway HTTP API payload format)";
  if (!isRecord(event.requestContext)) return 'requestContext is missing';
  const http = event.requestContext.http;
  if (!isRecord(http) || typeof http.method !== 'string' || http.method === '') {
    return 'requestContext.http.method is missing';
  }
  if (typeof event.rawPath !== 'string' || !event.rawPath.startsWith('/')) return 'rawPath must be a path';
  if (event.rawQueryString !== undefined && typeof event.rawQueryString !== 'string') {
    return 'rawQueryString must be a string';
  }
  if (event.headers !== undefined) {
    if (!isRecord(event.headers)) return 'headers must be an object';
    if (Object.values(event.headers).some((value) => typeof value !== 'string')) return 'header values must be strings';
  }
  if (
    event.cookies !== undefined &&
    !(Array.isArray(event.cookies) && event.cookies.every((c) => typeof c === 'string'))
  ) {
    return 'cookies must be a list of strings';
  }
  if (event.body !== undefined && event.body !== null && typeof event.body !== 'string') return 'body must be a string';
  if (event.isBase64Encoded === true && typeof event.body === 'string' && !BASE64.test(event.body)) {
    return 'body is marked base64 but is not valid base64';
  }
  return undefined;
}
