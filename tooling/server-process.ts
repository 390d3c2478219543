import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  apiKey: string;
  dynamodbEndpoint: string;
  output(): string;
  exited: Promise<number | null>;
}

export interface ServerProcessOptions {
  /**
   * Write the server's output to this file instead of collecting it in memory: for benchmarks, so
   * reading the logs costs the measuring process nothing.
   */
  outputFile?: string;
}

const ROOT = join(__dirname, '..');
const BANNER = /Development API key.*: \S+/;

/**
 * Runs `api/src/server.ts` as `npm start` does (Node flags included) as a child process and waits for
 * its banner; for tests and benchmarks.
 */
export async function startServerProcess(
  env: Record<string, string>,
  options: ServerProcessOptions = {},
): Promise<ServerProcess> {
  const fd = options.outputFile === undefined ? undefined : openSync(options.outputFile, 'w');
  const child = spawn(
    process.execPath,
    ['--experimental-async-context-frame', '--import', 'tsx', join(ROOT, 'api/src/server.ts')],
    {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', DYNAMODB_PORT: '0', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', fd ?? 'pipe', fd ?? 'pipe'],
    },
  );
  if (fd !== undefined) closeSync(fd);
  let collected = '';
  const collect = (chunk: Buffer): void => void (collected += chunk.toString());
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const output = (): string =>
    options.outputFile === undefined ? collected : readFileSync(options.outputFile, 'utf8');
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  const banner = await new Promise<string>((resolve, reject) => {
    const poll = setInterval(() => {
      const text = output();
      if (BANNER.test(text)) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve(text);
      }
    }, 50);
    const timer = setTimeout(() => {
      clearInterval(poll);
      reject(new Error(`server did not start:\n${output()}`));
    }, 20_000);
    void exited.then((code) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output()}`));
    });
  });
  const url = /listening on (\S+)/.exec(banner)?.[1] ?? '';
  const apiKey = /Development API key.*: (\S+)/.exec(banner)?.[1] ?? '';
  const dynamodbEndpoint = /DynamoDB endpoint: (\S+)/.exec(banner)?.[1] ?? '';
  return { child, url, apiKey, dynamodbEndpoint, output, exited };
}
