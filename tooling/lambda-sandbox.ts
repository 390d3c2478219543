import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, parse } from 'node:path';

/**
 * Runs a bundled Lambda asset (a `cdk.out/asset.*` folder) as the Node.js 22 Lambda runtime runs it, for
 * tests and benchmarks: the folder is copied alone into a fresh task root, loaded by a small bootstrap in a
 * separate process whose module resolution reaches no `node_modules` at all (the runtime's own folder is
 * empty), with a Lambda-like environment and only the function's variables. Invocations are sent over IPC;
 * what the function writes to stdout (its log lines, EMF documents) is collected line by line.
 */
export interface LambdaSandboxOptions {
  /** The asset folder holding the bundle (`index.js`). */
  assetDir: string;
  /** The function's `Handler`, e.g. `index.handler`. */
  handler: string;
  /** The function's environment variables (its `NODE_OPTIONS` is honoured, as Lambda does). */
  environment: Record<string, string>;
  functionName?: string;
  /** Milliseconds an invocation may take before it fails as a timeout (default 30 s). */
  timeoutMs?: number;
}

/** What one invocation returned: the handler's result, or the error it threw or rejected with. */
export type Invocation =
  | { ok: true; result: unknown; durationMs: number }
  | { ok: false; error: { name: string; message: string }; durationMs: number };

export interface LambdaSandbox {
  /** Milliseconds spent loading the bundle (`require` of the handler's file), measured inside the process. */
  readonly loadMs: number;
  invoke(event: unknown): Promise<Invocation>;
  /** Every line the function wrote to stdout so far. */
  stdout(): string[];
  /** What it wrote to stderr so far. */
  stderr(): string;
  /** Set when the process ended on its own: a crash of the execution environment. */
  exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  close(): Promise<void>;
}

/** The bootstrap: loads `<task root>/<file>.js`, reports the load time, then serves invocations. */
const BOOTSTRAP = `'use strict';
const { performance } = require('node:perf_hooks');
const path = require('node:path');
const [file, name] = process.env._HANDLER.split('.');
const started = performance.now();
const mod = require(path.join(process.env.LAMBDA_TASK_ROOT, file + '.js'));
const loadMs = performance.now() - started;
const handler = mod[name];
if (typeof handler !== 'function') throw new Error('Runtime.HandlerNotFound: ' + process.env._HANDLER);
process.on('message', async ({ id, event, deadline }) => {
  const context = {
    awsRequestId: id,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: '$LATEST',
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: 'sandbox',
    invokedFunctionArn: 'arn:aws:lambda:' + process.env.AWS_REGION + ':000000000000:function:' + process.env.AWS_LAMBDA_FUNCTION_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  const start = performance.now();
  try {
    const result = await handler(event, context);
    process.send({ id, ok: true, result: result === undefined ? null : result, durationMs: performance.now() - start });
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    process.send({ id, ok: false, error: { name: e.name, message: e.message }, durationMs: performance.now() - start });
  }
});
process.send({ ready: true, loadMs });
`;

/** Starts the function's execution environment and waits until its bundle is loaded. */
export async function startLambdaSandbox(options: LambdaSandboxOptions): Promise<LambdaSandbox> {
  const root = mkdtempSync(join(tmpdir(), 'lambda-sandbox-'));
  const taskRoot = join(root, 'task');
  const runtimeDir = join(root, 'runtime');
  // Nothing above the sandbox may offer modules: Node would look in every parent's node_modules.
  for (let dir = root; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules')))
      throw new Error(`${dir} has a node_modules folder the bundle could reach`);
    if (dir === parse(dir).root) break;
  }
  cpSync(options.assetDir, taskRoot, { recursive: true });
  mkdirSync(join(runtimeDir, 'node_modules'), { recursive: true });
  writeFileSync(join(runtimeDir, 'bootstrap.cjs'), BOOTSTRAP);

  const functionName = options.functionName ?? 'sandbox-function';
  const region = options.environment.AWS_REGION ?? 'us-east-1';
  const child: ChildProcess = spawn(process.execPath, [join(runtimeDir, 'bootstrap.cjs')], {
    cwd: taskRoot,
    // Lambda's own variables, then the function's; nothing inherited from this process.
    env: {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      LANG: 'en_US.UTF-8',
      TZ: ':UTC',
      LAMBDA_TASK_ROOT: taskRoot,
      LAMBDA_RUNTIME_DIR: runtimeDir,
      NODE_PATH: join(runtimeDir, 'node_modules'),
      _HANDLER: options.handler,
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      AWS_LAMBDA_FUNCTION_NAME: functionName,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      // Credentials as Lambda provides them; the endpoints the tests give are local.
      AWS_ACCESS_KEY_ID: 'ASIASANDBOX',
      AWS_SECRET_ACCESS_KEY: 'sandbox-secret',
      AWS_SESSION_TOKEN: 'sandbox-token',
      ...options.environment,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });

  const lines: string[] = [];
  let partial = '';
  let errors = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts.filter((line) => line !== ''));
  });
  child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString('utf8')));

  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const pending = new Map<string, (invocation: Invocation) => void>();
  const closed = new Promise<void>((resolve) =>
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      for (const [, settle] of pending) {
        settle({
          ok: false,
          error: { name: 'Runtime.ExitError', message: `exited with ${code ?? signal}` },
          durationMs: 0,
        });
      }
      pending.clear();
      resolve();
    }),
  );

  const loadMs = await new Promise<number>((resolve, reject) => {
    child.once('message', (message: { ready?: boolean; loadMs?: number }) => {
      if (message.ready) resolve(message.loadMs ?? 0);
    });
    void closed.then(() => reject(new Error(`the function did not start (${JSON.stringify(exited)}):\n${errors}`)));
  });
  child.on('message', (message: Invocation & { id: string }) => {
    const { id, ...invocation } = message;
    pending.get(id)?.(invocation);
    pending.delete(id);
  });

  let counter = 0;
  const timeoutMs = options.timeoutMs ?? 30_000;
  return {
    loadMs,
    invoke(event) {
      if (exited) return Promise.reject(new Error(`the execution environment has exited (${JSON.stringify(exited)})`));
      const id = `invocation-${++counter}`;
      return new Promise<Invocation>((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          resolve({
            ok: false,
            error: { name: 'Sandbox.Timeout', message: `no answer in ${timeoutMs} ms` },
            durationMs: timeoutMs,
          });
        }, timeoutMs);
        pending.set(id, (invocation) => {
          clearTimeout(timer);
          resolve(invocation);
        });
        child.send({ id, event, deadline: Date.now() + timeoutMs });
      });
    },
    stdout: () => [...lines],
    stderr: () => errors,
    exit: () => exited,
    async close() {
      if (!exited) child.kill('SIGKILL');
      await closed;
      rmSync(root, { recursive: true, force: true });
    },
  };
}
