import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { startEmbeddedEngine } from '../../engine/src/embedded-engine';
import { startServerProcess, type ServerProcess } from '../../tooling/server-process';
import {
  eventPoster,
  median,
  runAtFixedRate,
  runAtMaxThroughput,
  type Operation,
  type RunResult,
} from '../../tooling/load-generators';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '500' },
    slices: { type: 'string', default: '10' },
    'slice-seconds': { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '64' },
    /** What "on" means, as VAR=value pairs: e.g. `LOG_LEVEL=info,METRICS_SINK=none` to measure logging alone. */
    on: { type: 'string', default: 'LOG_LEVEL=info,METRICS_SINK=prometheus' },
  },
});
const rate = Number(values.rate);
const slices = Number(values.slices);
const sliceS = Number(values['slice-seconds']);
const concurrency = Number(values.concurrency);

/** The two configurations compared: everything an operator can switch off, on and off. */
const MODES: Record<'off' | 'on', Record<string, string>> = {
  off: { LOG_LEVEL: 'silent', METRICS_SINK: 'none' },
  on: Object.fromEntries(values.on.split(',').map((pair) => pair.split('=') as [string, string])),
};
type Mode = keyof typeof MODES;

const body = JSON.stringify({
  source: 'bench',
  event_type: 'order.created',
  payload: { order_id: 'ord_123', amount: 4999, currency: 'EUR' },
  metadata: { priority: 'normal' },
});

/** User + system CPU seconds a process has used so far (Linux /proc; clock ticks are 1/100 s). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Target {
  server: ServerProcess;
  pool: Pool;
  post: Operation;
}

async function startTarget(mode: Mode, dynamodbEndpoint: string): Promise<Target> {
  const server = await startServerProcess(
    { ...MODES[mode], DYNAMODB_ENDPOINT: dynamodbEndpoint, DEV_TENANT: `bench-${mode}` },
    { outputFile: join(tmpdir(), `triggers-api-bench-${mode}.log`) },
  );
  const pool = new Pool(server.url, { connections: concurrency });
  const post = eventPoster(pool, server.apiKey, body);
  return { server, pool, post };
}

/**
 * Both configurations run at once against one engine and take turns in short slices, so a noisy
 * machine slows both alike; each figure is the median over that configuration's slices.
 */
async function main(): Promise<void> {
  const engine = await startEmbeddedEngine({ port: 0 });
  const targets = { off: await startTarget('off', engine.endpoint), on: await startTarget('on', engine.endpoint) };
  const max: Record<Mode, RunResult[]> = { off: [], on: [] };
  const fixed: Record<Mode, RunResult[]> = { off: [], on: [] };
  const cpu: Record<Mode, number[]> = { off: [], on: [] };
  try {
    for (const mode of ['off', 'on'] as const) await runAtFixedRate(targets[mode].post, 200, 2);
    for (let slice = 0; slice < slices; slice++) {
      // Alternate which goes first, so neither always follows the other.
      const order: Mode[] = slice % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
      for (const mode of order) max[mode].push(await runAtMaxThroughput(targets[mode].post, concurrency, sliceS));
      for (const mode of order) {
        const pid = targets[mode].server.child.pid ?? 0;
        const before = cpuSeconds(pid);
        const result = await runAtFixedRate(targets[mode].post, rate, sliceS);
        cpu[mode].push(((cpuSeconds(pid) - before) * 1e6) / result.sent);
        fixed[mode].push(result);
      }
      process.stdout.write(
        `slice ${slice + 1}/${slices}: max off ${max.off.at(-1)?.achievedRate.toFixed(0)}/s, on ${max.on.at(-1)?.achievedRate.toFixed(0)}/s; ` +
          `p95 at ${rate}/s off ${fixed.off.at(-1)?.latency.p95Ms.toFixed(2)} ms, on ${fixed.on.at(-1)?.latency.p95Ms.toFixed(2)} ms\n`,
      );
    }
  } finally {
    for (const target of Object.values(targets)) {
      await target.pool.close();
      target.server.child.kill('SIGTERM');
      await target.server.exited;
    }
    await engine.close();
  }

  const figures = (mode: Mode) => ({
    max: median(max[mode].map((r) => r.achievedRate)),
    p50: median(fixed[mode].map((r) => r.latency.p50Ms)),
    p95: median(fixed[mode].map((r) => r.latency.p95Ms)),
    p99: median(fixed[mode].map((r) => r.latency.p99Ms)),
    success: (100 * fixed[mode].reduce((n, r) => n + r.succeeded, 0)) / fixed[mode].reduce((n, r) => n + r.sent, 0),
    cpuUs: median(cpu[mode]),
  });
  const off = figures('off');
  const on = figures('on');
  const row = (name: string, f: ReturnType<typeof figures>): string =>
    [
      name.padEnd(18),
      f.max.toFixed(0).padStart(10),
      f.p50.toFixed(2).padStart(8),
      f.p95.toFixed(2).padStart(8),
      f.p99.toFixed(2).padStart(8),
      `${f.success.toFixed(2)}%`.padStart(9),
      f.cpuUs.toFixed(0).padStart(10),
    ].join(' ');
  process.stdout.write(
    [
      `on: ${JSON.stringify(MODES.on)}; off: ${JSON.stringify(MODES.off)}`,
      `median of ${slices} slices  max rate/s   p50 ms   p95 ms   p99 ms   success  CPU us/req   (latency, success and API CPU at a fixed ${rate}/s)`,
      row('observability off', off),
      row('observability on', on),
      '',
      `throughput on / off: ${((100 * on.max) / off.max).toFixed(1)}% (target >= 95%)`,
      `p95 on - off: ${on.p95 - off.p95 >= 0 ? '+' : ''}${(on.p95 - off.p95).toFixed(2)} ms (target <= +2 ms)`,
      `API CPU per request on / off: ${((100 * on.cpuUs) / off.cpuUs).toFixed(1)}%`,
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
