import { ServiceUnavailableError } from '../errors';

const THROTTLING_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
]);
const SERVER_ERRORS = new Set(['InternalServerError', 'InternalFailure', 'ServiceUnavailable']);
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

interface SdkLikeError {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

/** True for DynamoDB's answer to a failed condition expression. */
export function isConditionalCheckFailed(error: unknown): boolean {
  return (error as SdkLikeError | undefined)?.name === 'ConditionalCheckFailedException';
}

/** Turns throttling, server faults and network failures into `ServiceUnavailableError`; other errors pass through. */
export function toStoreError(error: unknown): unknown {
  const e = (error ?? {}) as SdkLikeError;
  if (e.name && THROTTLING_ERRORS.has(e.name)) {
    return new ServiceUnavailableError('The event store is throttling requests; retry later', {
      retryAfterSeconds: 1,
      cause: error,
    });
  }
  const unreachable =
    (e.name && SERVER_ERRORS.has(e.name)) ||
    (e.code && NETWORK_ERROR_CODES.has(e.code)) ||
    e.name === 'TimeoutError' ||
    e.name === 'RequestTimeout' ||
    // The SDK gave up without ever receiving an HTTP response (connection refused, reset, timed out).
    (e.$metadata !== undefined && e.$metadata.httpStatusCode === undefined) ||
    (e.$metadata?.httpStatusCode ?? 0) >= 500;
  if (e.name === 'ResourceNotFoundException') {
    // The table is not there (yet): a store that is being set up or restored, not a fault of the request.
    return new ServiceUnavailableError('The event store is not ready; retry later', {
      retryAfterSeconds: 2,
      cause: error,
    });
  }
  if (unreachable) {
    return new ServiceUnavailableError('The event store is unavailable; retry later', {
      retryAfterSeconds: 2,
      cause: error,
    });
  }
  return error;
}

/** Runs a store call and rethrows its failure through `toStoreError`. */
export async function storeCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toStoreError(error);
  }
}
