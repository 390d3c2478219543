import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startDynaliteServer } from './online-index/index';

export interface EmbeddedEngineOptions {
  /** Default 8000; 0 picks a free port. */
  port?: number;
  /** Default '127.0.0.1': loopback only. */
  host?: string;
  /** On-disk LevelDB store when given, in memory otherwise. */
  dataDir?: string;
  /** Default 'child-process': runs the engine off the caller's event loop so both cores serve load. */
  mode?: 'child-process' | 'in-process';
  /** Milliseconds a new index stays CREATING before its backfill starts (engine default 100). */
  indexCreateMs?: number;
  /** Milliseconds a deleted index stays DELETING before it is removed (engine default 100). */
  indexDeleteMs?: number;
}

export interface EmbeddedEngine {
  readonly endpoint: string;
  readonly port: number;
  /** The engine's process id (the child's in child-process mode, this process's otherwise). */
  readonly pid: number;
  /** Resolves when the engine has stopped, whether closed or (child-process mode) its process ended. */
  readonly exited: Promise<EngineExit>;
  close(): Promise<void>;
}

/** How an engine stopped: its process's exit code or signal (both null when closed in-process). */
export interface EngineExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** What the engine child process tells its parent once it has started, or failed to. */
export type EngineProcessMessage = { type: 'ready'; port: number } | { type: 'failed'; message: string };

const DEFAULT_PORT = 8000;
const DEFAULT_HOST = '127.0.0.1';
const STARTUP_TIMEOUT_MS = 30_000;
const SHUTDOWN_TIMEOUT_MS = 10_000;
const ENGINE_PROCESS = path.join(__dirname, `engine-process${path.extname(__filename)}`);

/** Starts the embedded DynamoDB-compatible engine and resolves once it accepts requests. */
export function startEmbeddedEngine(options: EmbeddedEngineOptions = {}): Promise<EmbeddedEngine> {
  return options.mode === 'in-process' ? startInProcess(options) : startChildProcess(options);
}

async function startInProcess(options: EmbeddedEngineOptions): Promise<EmbeddedEngine> {
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port ?? DEFAULT_PORT;
  try {
    const server = await startDynaliteServer({
      host,
      port,
      path: options.dataDir,
      // Tables are usable at once: only index changes, which the migration waits for, take time.
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
      indexCreateMs: options.indexCreateMs,
      indexDeleteMs: options.indexDeleteMs,
    });
    let closed!: (exit: EngineExit) => void;
    const exited = new Promise<EngineExit>((resolve) => (closed = resolve));
    const stop = (): Promise<void> => server.close().finally(() => closed({ code: null, signal: null }));
    return engineAt(host, server.port, process.pid, exited, stop);
  } catch (error) {
    throw new Error(startupFailure(error, host, port, options.dataDir), { cause: error });
  }
}

function startChildProcess(options: EmbeddedEngineOptions): Promise<EmbeddedEngine> {
  const host = options.host ?? DEFAULT_HOST;
  const child = fork(ENGINE_PROCESS, [JSON.stringify({ ...options, mode: 'in-process' })], {
    // The entry is TypeScript, and the parent may be a jest worker rather than a tsx process.
    execArgv: ['--import', tsxLoader()],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = new Promise<EngineExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  return new Promise<EmbeddedEngine>((resolve, reject) => {
    const settle = (outcome: () => void): void => {
      clearTimeout(timer);
      child.off('message', onMessage).off('exit', onExit).off('error', onError);
      outcome();
    };
    const fail = (message: string): void =>
      settle(() => {
        child.kill('SIGKILL');
        reject(new Error(message));
      });
    const onMessage = (message: EngineProcessMessage): void => {
      if (message.type === 'failed') return fail(message.message);
      settle(() => {
        // Neither the child nor its IPC channel keeps the caller alive; the child exits when the channel closes.
        child.unref();
        child.channel?.unref();
        resolve(engineAt(host, message.port, child.pid ?? 0, exited, () => stopChild(child)));
      });
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      fail(`The embedded DynamoDB engine process exited before it was ready (${signal ?? `exit code ${code}`})`);
    const onError = (error: Error): void => fail(`Cannot start the embedded DynamoDB engine process: ${error.message}`);
    const timer = setTimeout(
      () => fail(`The embedded DynamoDB engine did not start within ${STARTUP_TIMEOUT_MS} ms`),
      STARTUP_TIMEOUT_MS,
    );
    child.on('message', onMessage).on('exit', onExit).on('error', onError);
  });
}

function startupFailure(error: unknown, host: string, port: number, dataDir: string | undefined): string {
  const { code, cause } = error as { code?: string; cause?: { message?: string } };
  if (code === 'EADDRINUSE') {
    return `Cannot start the embedded DynamoDB engine: ${host}:${port} is already in use. Stop the process using it or choose another port.`;
  }
  if (code === 'LEVEL_DATABASE_NOT_OPEN') {
    return `Cannot start the embedded DynamoDB engine: data directory ${dataDir ?? ''} cannot be opened (${cause?.message ?? 'unknown reason'}). Is another engine using it?`;
  }
  return `Cannot start the embedded DynamoDB engine: ${error instanceof Error ? error.message : String(error)}`;
}

function engineAt(
  host: string,
  port: number,
  pid: number,
  exited: Promise<EngineExit>,
  stop: () => Promise<void>,
): EmbeddedEngine {
  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    pid,
    exited,
    close: () => (closing ??= stop()),
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), SHUTDOWN_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    // Closing the channel asks the child to close its store and exit; it ignores SIGTERM while connected.
    if (child.connected) child.disconnect();
    else child.kill('SIGTERM');
  });
}

/** tsx's loader as a file URL, so the child resolves it wherever the caller's working directory is. */
function tsxLoader(): string {
  return pathToFileURL(createRequire(__filename).resolve('tsx')).href;
}
