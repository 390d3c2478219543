import { backoffDelayMs, isRetryableCloudWatchError } from '../../../src/observability/metrics/cloudwatch-retry';

function sdkError(name: string, httpStatusCode: number): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode } });
}

describe('isRetryableCloudWatchError', () => {
  it.each([
    ['throttling', sdkError('Throttling', 400)],
    ['a 429', sdkError('SomethingElse', 429)],
    ['a 500', sdkError('InternalServiceFault', 500)],
    ['a 503', sdkError('ServiceUnavailable', 503)],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['an unresolvable host', Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' })],
    ['a timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' })],
    ['an error the SDK marks retryable', Object.assign(new Error('x'), { $retryable: { throttling: false } })],
  ])('retries %s', (_case, error) => {
    expect(isRetryableCloudWatchError(error)).toBe(true);
  });

  it.each([
    ['an invalid parameter', sdkError('InvalidParameterValueException', 400)],
    ['missing permissions', sdkError('AccessDenied', 403)],
    ['an abort at close', Object.assign(new Error('aborted'), { name: 'AbortError' })],
    ['a string', 'boom'],
    ['undefined', undefined],
  ])('gives up at once on %s', (_case, error) => {
    expect(isRetryableCloudWatchError(error)).toBe(false);
  });
});

describe('backoffDelayMs', () => {
  it.each([
    [1, 200],
    [2, 400],
    [3, 800],
    [10, 5_000],
  ])('draws retry %i from [0, %i)', (attempt, ceiling) => {
    expect(backoffDelayMs(attempt, 200, 5_000, () => 0)).toBe(0);
    expect(backoffDelayMs(attempt, 200, 5_000, () => 0.5)).toBe(ceiling / 2);
    expect(backoffDelayMs(attempt, 200, 5_000, () => 0.999_999)).toBe(ceiling - 1);
  });
});
