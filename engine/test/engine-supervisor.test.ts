import { createServer, type Server } from 'node:net';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import type { EmbeddedEngine } from '../src/embedded-engine';
import { startSupervisedEngine, type SupervisedEngine } from '../src/engine-supervisor';
import { isRunning } from '../../tooling/process-tree';
import { createDynamoDbClients } from '../../platform/dynamodb-client';
import { captureLogger } from '../../tooling/captured-logger';

async function until<T>(read: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function tablesAt(endpoint: string): Promise<string[] | undefined> {
  const db = createDynamoDbClients({ region: 'us-east-1', endpoint, maxAttempts: 1 });
  try {
    return (await db.client.send(new ListTablesCommand({}))).TableNames;
  } finally {
    db.client.destroy();
  }
}

/** Listens on `port` as soon as it is free (the killed engine's process may still hold it for a moment). */
async function occupy(port: number): Promise<Server> {
  for (;;) {
    const server = createServer();
    const listening = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (listening) return server;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('startSupervisedEngine', () => {
  let supervised: SupervisedEngine | undefined;
  afterEach(async () => {
    await supervised?.close();
    supervised = undefined;
  });

  it('restarts a killed engine on the same port, prepares it before it counts as running, and logs the exit', async () => {
    const log = captureLogger();
    const prepared: EmbeddedEngine[] = [];
    supervised = await startSupervisedEngine({
      engine: { port: 0 },
      logger: log.logger,
      onRestart: (engine) => {
        prepared.push(engine);
        return Promise.resolve();
      },
    });
    const first = supervised.pid();

    process.kill(first, 'SIGKILL');
    const engine = supervised;
    await until(() => (engine.status().state === 'restarting' ? true : undefined));
    const reason = engine.status().reason;
    await until(() => (engine.status().state === 'running' ? true : undefined));

    expect(reason).toBe('the embedded DynamoDB engine exited (signal SIGKILL) and is restarting');
    expect(supervised.pid()).not.toBe(first);
    expect(prepared.map((e) => [e.port, e.pid])).toEqual([[supervised.port, supervised.pid()]]);
    await expect(tablesAt(supervised.endpoint)).resolves.toEqual([]);
    expect(log.lines()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          level: 'ERROR',
          message: 'The embedded DynamoDB engine exited unexpectedly',
          engine_pid: first,
          exit_code: null,
          signal: 'SIGKILL',
          data: 'in memory',
        }),
        expect.objectContaining({ level: 'WARN', message: 'Restarting the embedded DynamoDB engine', attempt: 1 }),
        expect.objectContaining({ message: 'The embedded DynamoDB engine is running again', attempt: 1 }),
      ]),
    );
  });

  it('gives up after its bounded attempts when the engine cannot start again, and says why', async () => {
    const log = captureLogger();
    let gaveUp: Error | undefined;
    supervised = await startSupervisedEngine({
      engine: { port: 0 },
      logger: log.logger,
      restartDelaysMs: [300, 10],
      onGiveUp: (error) => (gaveUp = error),
    });
    const engine = supervised;

    process.kill(engine.pid(), 'SIGKILL');
    const occupant = await occupy(engine.port);
    try {
      await until(() => gaveUp);
    } finally {
      occupant.close();
    }

    expect(gaveUp?.message).toMatch(/could not be restarted after 2 attempts: .*already in use/);
    expect(engine.status()).toEqual({
      state: 'failed',
      reason: 'the embedded DynamoDB engine exited and could not be restarted',
    });
    expect(
      log.lines().filter((line) => line.message === 'Restart of the embedded DynamoDB engine failed'),
    ).toHaveLength(2);
    expect(log.lines()).toContainEqual(expect.objectContaining({ level: 'FATAL' }));
  });

  it('does not restart an engine that exits once shutdown has begun', async () => {
    const log = captureLogger();
    supervised = await startSupervisedEngine({ engine: { port: 0 }, logger: log.logger, restartDelaysMs: [0] });
    const pid = supervised.pid();

    supervised.stopRestarting();
    process.kill(pid, 'SIGKILL');
    await until(() => (isRunning(pid) ? undefined : true));
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(supervised.status()).toEqual({ state: 'stopping', reason: 'the server is shutting down' });
    expect(supervised.pid()).toBe(pid);
    await expect(tablesAt(supervised.endpoint)).rejects.toThrow();
    await supervised.close();
    expect(supervised.status().state).toBe('stopped');
    expect(log.lines().map((line) => line.message)).not.toContain('The embedded DynamoDB engine exited unexpectedly');
  });
});
