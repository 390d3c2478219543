/**
 * The engine killed under load: `npm start`'s server process in disk mode, a few hundred POSTs at
 * concurrency 16, SIGKILL to the engine child mid-load. Clients see 503s (never 500s) while it is down,
 * health follows, the supervisor restarts it on the same port and data directory, and every event that
 * was acknowledged is still there. The recovery time is printed, not asserted.
 */
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEngineKillDrill, unreadableEvents } from '../../../tooling/engine-kill-drill';
import { descendantPids, enginePidOf, killAll } from '../../../tooling/process-tree';
import { startServerProcess, type ServerProcess } from '../../../tooling/server-process';
import { createDynamoDbClients } from '../../../platform/dynamodb-client';
import { DEFAULT_TABLE_NAMES } from '../../../contract/table-schemas';

jest.setTimeout(60_000);

interface HealthAnswer {
  status: number;
  headers: Headers;
  body: any;
}

/** Polls `GET /v1/health` until `wanted` holds for an answer; resolves with the last answer. */
async function healthUntil(
  url: string,
  wanted: (answer: HealthAnswer) => boolean,
  timeoutMs: number,
): Promise<HealthAnswer> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${url}/v1/health`);
    const answer = { status: response.status, headers: response.headers, body: await response.json() };
    if (wanted(answer) || Date.now() >= deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The JSON log lines of a server's output. */
function logLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('the embedded engine killed under load (disk mode)', () => {
  let dataDir: string;
  let server: ServerProcess;
  let pids: number[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'engine-kill-'));
    server = await startServerProcess({ DATA_DIR: dataDir, LOG_LEVEL: 'info' });
  });
  afterAll(async () => {
    pids = [...pids, ...descendantPids(server.child.pid ?? 0)];
    server.child.kill('SIGTERM');
    await server.exited;
    killAll(pids);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers 503 while it is down, restarts it, and keeps every acknowledged event', async () => {
    const enginePid = enginePidOf(server.child.pid ?? 0);
    expect(enginePid).toEqual(expect.any(Number));
    pids.push(enginePid ?? 0);

    const drill = await runEngineKillDrill({
      url: server.url,
      apiKey: server.apiKey,
      killEngine: () => process.kill(enginePid ?? 0, 'SIGKILL'),
      concurrency: 16,
      createdBeforeKill: 150,
      createdAfterRecovery: 150,
      timeoutMs: 40_000,
    });
    const missing = await unreadableEvents(server.url, server.apiKey, drill.created);
    console.log(
      `engine killed after 150 events: ${drill.requests} requests ${JSON.stringify(drill.byStatus)}, ` +
        `health back after ${drill.healthRecoveredMs} ms, first write after ${drill.firstWriteAfterKillMs} ms`,
    );

    // Clients were told to retry while the engine was down, and nothing else went wrong.
    expect(drill.unexpected).toEqual([]);
    expect(drill.byStatus['503']).toBeGreaterThan(0);
    expect(Object.keys(drill.byStatus).sort()).toEqual(['201', '503']);
    // Health went unhealthy, then healthy again (a health answer sent before the exit was noticed may say 200).
    const afterKill = drill.healthAfterKill[0] === 200 ? drill.healthAfterKill.slice(1) : drill.healthAfterKill;
    expect(afterKill).toEqual([503, 200]);
    expect(drill.healthRecoveredMs).toEqual(expect.any(Number));
    expect(drill.created.length).toBeGreaterThanOrEqual(300);
    // Every acknowledged event survived the kill, payload included.
    expect(missing).toEqual([]);

    const logs = logLines(server.output());
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        message: 'The embedded DynamoDB engine exited unexpectedly',
        engine_pid: enginePid,
        signal: 'SIGKILL',
        data: dataDir,
      }),
    );
    expect(logs).toContainEqual(
      expect.objectContaining({
        message: 'The embedded DynamoDB engine is running again',
        downtime_ms: expect.any(Number),
      }),
    );
    // The new engine serves the same port from the same data directory.
    const restarted = enginePidOf(server.child.pid ?? 0);
    expect(restarted).not.toBe(enginePid);
    pids.push(restarted ?? 0);
  });
});

describe('the embedded engine killed in memory mode', () => {
  let server: ServerProcess;
  let pids: number[] = [];

  beforeAll(async () => {
    server = await startServerProcess({ LOG_LEVEL: 'info' });
  });
  afterAll(async () => {
    pids = [...pids, ...descendantPids(server.child.pid ?? 0)];
    server.child.kill('SIGTERM');
    await server.exited;
    killAll(pids);
  });

  it('restarts it empty, with the tables created again and the development key working again', async () => {
    const post = () =>
      fetch(`${server.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': server.apiKey },
        body: JSON.stringify({ source: 'engine-kill', event_type: 'before', payload: { n: 1 } }),
      });
    const before = (await (await post()).json()) as { event_id: string };
    const enginePid = enginePidOf(server.child.pid ?? 0) ?? 0;
    pids.push(enginePid);

    // Under load, so that requests meet the restarted engine before its tables exist again.
    const [drill, down] = await Promise.all([
      runEngineKillDrill({
        url: server.url,
        apiKey: server.apiKey,
        killEngine: () => process.kill(enginePid, 'SIGKILL'),
        createdBeforeKill: 100,
        createdAfterRecovery: 100,
        timeoutMs: 30_000,
      }),
      // Until the exit is noticed the store probe fails; then the supervisor's state is reported.
      healthUntil(server.url, (a) => a.body?.error?.details?.checks?.engine === 'restarting', 30_000),
    ]);
    const up = await healthUntil(server.url, (a) => a.status === 200, 30_000);
    console.log(
      `memory mode: ${drill.requests} requests ${JSON.stringify(drill.byStatus)}, health back after ${drill.healthRecoveredMs} ms`,
    );

    // Clients were told to retry, never answered 500, while the engine restarted and was prepared.
    expect(drill.unexpected).toEqual([]);
    expect(Object.keys(drill.byStatus).sort()).toEqual(['201', '503']);
    // While it restarts, health says so in the error envelope.
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toEqual(expect.stringMatching(/^\d+$/));
    expect(down.body.error).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      message: expect.stringContaining('signal SIGKILL'),
      details: { status: 'unhealthy', checks: { engine: 'restarting' } },
      request_id: down.headers.get('x-request-id'),
    });
    expect(up.status).toBe(200);
    // Both tables exist again, on the same endpoint.
    const db = createDynamoDbClients({ region: 'us-east-1', endpoint: server.dynamodbEndpoint, maxAttempts: 1 });
    const { TableNames } = await db.client.send(new ListTablesCommand({})).finally(() => db.client.destroy());
    expect(TableNames?.sort()).toEqual([DEFAULT_TABLE_NAMES.apiKeys, DEFAULT_TABLE_NAMES.events].sort());
    // The printed development key works again; what was stored before is gone, as the log says.
    expect((await post()).status).toBe(201);
    const lost = await fetch(`${server.url}/v1/events/${before.event_id}`, { headers: { 'x-api-key': server.apiKey } });
    expect(lost.status).toBe(404);
    expect(logLines(server.output())).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        message: expect.stringContaining('The restarted embedded DynamoDB engine is empty'),
      }),
    );
    pids.push(enginePidOf(server.child.pid ?? 0) ?? 0);
  });
});
