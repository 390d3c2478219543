import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';

export interface ServerProcess {
  child: ChildProcessWithoutNullStreams;
  url: string;
  apiKey: string;
  dynamodbEndpoint: string;
  output(): string;
  exited: Promise<number | null>;
}

const ROOT = join(__dirname, '..', '..', '..');

/** Runs `api/src/server.ts` (what `npm start` runs) as a child process and waits for its banner; for tests and benchmarks. */
export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'api/src/server.ts')], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', DYNAMODB_PORT: '0', LOG_LEVEL: 'warn', ...env },
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  const banner = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 20_000);
    const check = (): void => {
      if (/Development API key.*: \S+/.test(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
  const url = /listening on (\S+)/.exec(banner)?.[1] ?? '';
  const apiKey = /Development API key.*: (\S+)/.exec(banner)?.[1] ?? '';
  const dynamodbEndpoint = /DynamoDB endpoint: (\S+)/.exec(banner)?.[1] ?? '';
  return { child, url, apiKey, dynamodbEndpoint, output: () => out, exited };
}
