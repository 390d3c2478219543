import { createDynamoDbStoreProbe } from '../../src/health/dynamodb-store-probe';
import { startEmbeddedEngine, type EmbeddedEngine } from '../../../engine/src/embedded-engine';
import { createDynamoDbClients, type DynamoDbClients } from '../../../platform/dynamodb-client';
import { ensureTables } from '../../src/store/ensure-tables';
import { DEFAULT_TABLE_NAMES } from '../../../contract/table-schemas';
import { captureLogger } from '../../../tooling/captured-logger';
import { startFaultProxy, type FaultProxy } from '../../../tooling/fault-proxy';

describe('the DynamoDB store probe', () => {
  let engine: EmbeddedEngine;
  let proxy: FaultProxy;
  let db: DynamoDbClients;

  beforeAll(async () => {
    engine = await startEmbeddedEngine({ port: 0, mode: 'in-process' });
    const admin = createDynamoDbClients({ region: 'us-east-1', endpoint: engine.endpoint });
    await ensureTables(admin.client, admin.doc, DEFAULT_TABLE_NAMES);
    admin.client.destroy();
    proxy = await startFaultProxy(engine.endpoint);
    // As the runtime builds it: one attempt per probe.
    db = createDynamoDbClients({ region: 'us-east-1', endpoint: proxy.endpoint, maxAttempts: 1 });
  });
  afterEach(() => proxy.reset());
  afterAll(async () => {
    db.client.destroy();
    await proxy.close();
    await engine.close();
  });

  const probeOf = (options: { tableName?: string; timeoutMs?: number } = {}) => {
    const log = captureLogger();
    const probe = createDynamoDbStoreProbe({
      client: () => db.client,
      tableName: options.tableName ?? DEFAULT_TABLE_NAMES.events,
      logger: log.logger,
      cacheMs: 0,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
    return { probe, log };
  };

  it('reports the store reachable when DescribeTable answers', async () => {
    await expect(probeOf().probe()).resolves.toEqual({ healthy: true, state: 'reachable' });
  });

  it('counts a throttled probe as reachable: DynamoDB answered', async () => {
    proxy.mode = 'throttle';
    await expect(probeOf().probe()).resolves.toEqual({ healthy: true, state: 'reachable' });
  });

  it.each([
    ['drops the connection', 'drop' as const],
    ['answers 500', 'server-error' as const],
  ])('reports the store unreachable when DynamoDB %s', async (_case, mode) => {
    proxy.mode = mode;
    await expect(probeOf().probe()).resolves.toEqual({
      healthy: false,
      state: 'unreachable',
      reason: expect.stringMatching(/^the event store is unreachable \(\w+\)$/),
    });
  });

  it('reports a missing events table', async () => {
    await expect(probeOf({ tableName: 'no-such-table' }).probe()).resolves.toEqual({
      healthy: false,
      state: 'unavailable',
      reason: 'the events table does not exist',
    });
  });

  it('gives up after its timeout instead of waiting for a stalled store', async () => {
    proxy.delayMs = 3000;
    const result = await probeOf({ timeoutMs: 200 }).probe();

    expect(result).toEqual({
      healthy: false,
      state: 'unreachable',
      reason: 'the event store did not answer within 200 ms',
    });
  });

  it('logs when the store stops answering and when it answers again, once each', async () => {
    const { probe, log } = probeOf();
    proxy.mode = 'drop';
    await probe();
    await probe();
    proxy.mode = 'pass';
    await probe();
    await probe();

    expect(log.lines().map((line) => [line.level, line.message])).toEqual([
      ['WARN', 'The event store failed a health probe'],
      ['INFO', 'The event store answers health probes again'],
    ]);
  });
});
