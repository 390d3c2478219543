import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Logger } from 'pino';
import type { ComponentHealth } from './health-check';
import { sharedResult } from './shared-result';

export interface StoreProbeOptions {
  /** The client to probe with, built on first use; one attempt per call (a throttled or refused call is an answer). */
  client: () => DynamoDBClient;
  /** The events table: the one every request needs. */
  tableName: string;
  logger: Logger;
  /** The whole probe, retries included, gives up after this long. Default 1000 ms. */
  timeoutMs?: number;
  /** A result is reused for this long. Default 1000 ms. */
  cacheMs?: number;
}

/** Throttling means DynamoDB answered: the store is reachable, only busy. */
const THROTTLING_ERRORS = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'LimitExceededException',
]);

/**
 * Probes the event store with DescribeTable on the events table: free, not an item read, and granted to
 * the Lambda function. Concurrent probes share one call and a result is reused for `cacheMs`, so health
 * checks cannot add load; a change between reachable and unreachable is logged once, with the cause.
 */
export function createDynamoDbStoreProbe(options: StoreProbeOptions): () => Promise<ComponentHealth> {
  const timeoutMs = options.timeoutMs ?? 1000;
  let lastHealthy = true;
  const probe = async (): Promise<ComponentHealth> => {
    let result: ComponentHealth;
    let cause: unknown;
    try {
      const { Table } = await options.client().send(new DescribeTableCommand({ TableName: options.tableName }), {
        abortSignal: AbortSignal.timeout(timeoutMs),
      });
      result =
        Table?.TableStatus === 'DELETING'
          ? { healthy: false, state: 'unavailable', reason: 'the events table is being deleted' }
          : { healthy: true, state: 'reachable' };
    } catch (error) {
      cause = error;
      result = classify(error, timeoutMs);
    }
    if (result.healthy !== lastHealthy) {
      lastHealthy = result.healthy;
      if (result.healthy)
        options.logger.info({ table: options.tableName }, 'The event store answers health probes again');
      else
        options.logger.warn(
          { table: options.tableName, reason: result.reason, err: cause },
          'The event store failed a health probe',
        );
    }
    return result;
  };
  return sharedResult(probe, options.cacheMs ?? 1000);
}

function classify(error: unknown, timeoutMs: number): ComponentHealth {
  const { name = '', code } = (error ?? {}) as { name?: string; code?: string };
  if (THROTTLING_ERRORS.has(name)) return { healthy: true, state: 'reachable' };
  if (name === 'ResourceNotFoundException') {
    return { healthy: false, state: 'unavailable', reason: 'the events table does not exist' };
  }
  if (name === 'AbortError' || name === 'TimeoutError') {
    return { healthy: false, state: 'unreachable', reason: `the event store did not answer within ${timeoutMs} ms` };
  }
  // Access denied, a connection refused or reset, a 5xx: named, but without the message (it may hold ARNs).
  return {
    healthy: false,
    state: 'unreachable',
    reason: `the event store is unreachable (${code ?? (name || 'unknown error')})`,
  };
}
