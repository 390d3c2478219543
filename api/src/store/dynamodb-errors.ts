import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
import { ServiceUnavailableError } from '../errors';

/** An AWS SDK error, as the SDK's classification takes it. */
type SdkError = Parameters<typeof isTransientError>[0];

interface SdkLikeError {
  name?: string;
  $metadata?: { httpStatusCode?: number };
}

/** True for DynamoDB's answer to a failed condition expression. */
export function isConditionalCheckFailed(error: unknown): boolean {
  return (error as SdkLikeError | undefined)?.name === 'ConditionalCheckFailedException';
}

/**
 * Turns throttling, server faults and network failures into `ServiceUnavailableError`; other errors pass
 * through. Which SDK errors are throttling or transient is the AWS SDK's own classification
 * (`@smithy/core/retry`).
 */
export function toStoreError(error: unknown): unknown {
  if (typeof error !== 'object' || error === null) return error;
  const e = error as SdkLikeError;
  const sdkError = error as SdkError;
  if (isThrottlingError(sdkError)) {
    return new ServiceUnavailableError('The event store is throttling requests; retry later', {
      retryAfterSeconds: 1,
      cause: error,
    });
  }
  const unreachable =
    isTransientError(sdkError) ||
    isServerError(sdkError) ||
    // The SDK gave up without ever receiving an HTTP response (connection refused, reset, timed out).
    (e.$metadata !== undefined && e.$metadata.httpStatusCode === undefined);
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
