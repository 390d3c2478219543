/**
 * One shutdown story for `npm start`, whichever process the signal reaches: the npm process, the API
 * process, or the whole process group (Ctrl-C, systemd). A request whose body is still arriving when the
 * signal lands finishes with 201 against a still-running engine, the event is on disk, and every process
 * of the tree (npm, the API, the engine) has exited.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { startEmbeddedEngine } from '../../../engine/src/embedded-engine';
import {
  descendantPids,
  enginePidOf,
  findDescendant,
  isRunning,
  killAll,
  waitForExit,
} from '../../../tooling/process-tree';
import { createDynamoDbClients } from '../../../platform/dynamodb-client';
import { DEFAULT_TABLE_NAMES } from '../../../contract/table-schemas';

jest.setTimeout(60_000);

const ROOT = join(__dirname, '..', '..', '..');
const API_KEY = 'tk_shutdown-story-key-0001';

interface NpmStart {
  npm: ChildProcess;
  url: string;
  output: () => string;
}

/** Runs `npm start` in its own process group (as a terminal or systemd would) and waits for its banner. */
async function npmStart(dataDir: string): Promise<NpmStart> {
  const npm = spawn('npm', ['start'], {
    cwd: ROOT,
    detached: true,
    env: { ...process.env, PORT: '0', DYNAMODB_PORT: '0', DATA_DIR: dataDir, DEV_API_KEY: API_KEY, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  npm.stdout?.on('data', (chunk: Buffer) => void (text += chunk.toString()));
  npm.stderr?.on('data', (chunk: Buffer) => void (text += chunk.toString()));
  const output = (): string => text;
  const url = await waitFor(
    () => /listening on (\S+)/.exec(text)?.[1],
    30_000,
    () => `npm start did not start:\n${text}`,
  );
  await waitFor(
    () => /Development API key/.test(text) || undefined,
    5_000,
    () => `no development key:\n${text}`,
  );
  return { npm, url, output };
}

/** Polls `read` until it returns a value; fails with `message()` after `timeoutMs`. */
async function waitFor<T>(read: () => T | undefined, timeoutMs: number, message: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw new Error(message());
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * A POST whose body is sent in two halves over a kept-alive connection. It asks `Expect: 100-continue`, so
 * `dispatched` resolves once the server has taken the request in (Node answers 100 as it hands the
 * request to the app); `finish()` sends the rest and resolves with the answer.
 */
function slowPost(url: string): {
  dispatched: Promise<void>;
  finish(): Promise<{ status: number; connection: string | undefined; body: any }>;
} {
  const body = Buffer.from(JSON.stringify({ source: 'shutdown', event_type: 'slow-upload', payload: { n: 1 } }));
  const half = Math.floor(body.length / 2);
  const agent = new Agent({ keepAlive: true });
  const req = request(`${url}/v1/events`, {
    method: 'POST',
    agent,
    headers: {
      'content-type': 'application/json',
      'content-length': body.length,
      'x-api-key': API_KEY,
      expect: '100-continue',
    },
  });
  const dispatched = new Promise<void>((resolve) =>
    req.once('continue', () => {
      req.write(body.subarray(0, half));
      resolve();
    }),
  );
  const answered = new Promise<{ status: number; connection: string | undefined; body: any }>((resolve, reject) => {
    req.once('response', (res: IncomingMessage) => {
      let text = '';
      res.on('data', (chunk: Buffer) => void (text += chunk.toString()));
      res.on('end', () => {
        agent.destroy();
        resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: JSON.parse(text) });
      });
    });
    req.once('error', reject);
  });
  req.flushHeaders();
  return {
    dispatched,
    finish: () => {
      req.end(body.subarray(half));
      return answered;
    },
  };
}

/** The stored event with this id, read from the data directory once the server is gone. */
async function storedEvent(dataDir: string, eventId: string): Promise<Record<string, unknown> | undefined> {
  const engine = await startEmbeddedEngine({ port: 0, mode: 'in-process', dataDir });
  const db = createDynamoDbClients({ region: 'us-east-1', endpoint: engine.endpoint, maxAttempts: 1 });
  try {
    const { Items } = await db.doc.send(
      new ScanCommand({
        TableName: DEFAULT_TABLE_NAMES.events,
        FilterExpression: 'event_id = :id',
        ExpressionAttributeValues: { ':id': eventId },
      }),
    );
    return Items?.[0];
  } finally {
    db.client.destroy();
    await engine.close();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe.each<[string, NodeJS.Signals, 'npm' | 'api' | 'group']>([
  ['the npm process', 'SIGTERM', 'npm'],
  ['the API process', 'SIGTERM', 'api'],
  ['the whole process group (Ctrl-C)', 'SIGINT', 'group'],
  ['the whole process group (systemd stop)', 'SIGTERM', 'group'],
])('%s receives %s while an upload is in flight', (_name, signal, target) => {
  it('finishes the upload with 201 against the running engine, keeps the event, and leaves nothing running', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'shutdown-'));
    let tree: number[] = [];
    let started: NpmStart | undefined;
    try {
      started = await npmStart(dataDir);
      const { npm, url, output } = started;
      const npmPid = npm.pid ?? 0;
      const npmExited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
      const apiPid = findDescendant(npmPid, 'api/src/server.ts') ?? 0;
      const enginePid = enginePidOf(apiPid) ?? 0;
      tree = [npmPid, ...descendantPids(npmPid)];
      expect(tree).toEqual(expect.arrayContaining([apiPid, enginePid]));

      const upload = slowPost(url);
      await upload.dispatched;
      const signalledAt = Date.now();
      process.kill({ npm: npmPid, api: apiPid, group: -npmPid }[target], signal);
      await waitFor(
        () => /Shutting down/.test(output()) || undefined,
        5_000,
        () => `no shutdown:\n${output()}`,
      );
      // Time for an engine that took the signal itself to go down, as it did before.
      await sleep(300);
      const engineAliveWhileDraining = isRunning(enginePid);
      const answer = await upload.finish();
      const answeredAt = Date.now();
      const stillRunning = await waitForExit(tree, 20_000);
      const exitedAt = Date.now();
      console.log(
        `${signal} to ${target}: upload answered ${answer.status} ${answeredAt - signalledAt} ms after the signal ` +
          `(the test held its body back), every process exited ${exitedAt - answeredAt} ms after the answer`,
      );

      expect(engineAliveWhileDraining).toBe(true);
      expect(answer).toMatchObject({ status: 201, body: { event_id: expect.any(String), status: 'pending' } });
      // The kept-alive client is told to let go, so the drain does not wait out its keep-alive timeout.
      expect(answer.connection).toBe('close');
      expect(stillRunning).toEqual([]);
      expect(await npmExited).toBe(0);
      expect(output()).toContain('"message":"Stopped"');
      expect(await storedEvent(dataDir, answer.body.event_id)).toMatchObject({
        event_id: answer.body.event_id,
        source: 'shutdown',
        event_type: 'slow-upload',
      });
    } finally {
      killAll([...tree, ...(started?.npm.pid ? descendantPids(started.npm.pid) : [])]);
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
