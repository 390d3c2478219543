import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
/** An AWS SDK error, as the SDK's classification takes it. */
type SdkError = Parameters<typeof isTransientError>[0];

/**
 * True for throttling, 5xx, timeouts and network errors: worth another attempt; anything else (a 4xx) will
 * fail again. The classification is the AWS SDK's own (`@smithy/core/retry`).
 */
export function isRetryableCloudWatchError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const sdkError = error as SdkError;
  return isThrottlingError(sdkError) || isTransientError(sdkError) || isServerError(sdkError);
}

/** "Full jitter" backoff before retry number `attempt` (1-based): uniform in [0, min(max, base * 2^(attempt-1))). */
export function backoffDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  // Random spread keeps many processes that failed together from retrying together.
  return Math.floor(random() * ceiling);
}
