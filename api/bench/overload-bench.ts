import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { startEmbeddedEngine } from '../../engine/src/embedded-engine';
import { createDynamoDbClients } from '../../platform/dynamodb-client';
import { DEFAULT_TABLE_NAMES } from '../../contract/table-schemas';
import { ensureTables } from '../src/store/ensure-tables';
import { startServerProcess, type ServerProcess } from '../../tooling/server-process';
import { eventPoster, median, runAtFixedRate, runAtMaxThroughput, type RunResult } from '../../tooling/load-generators';

/**
 * `npm run bench:overload`: the API offered more than it can serve, with admission control off and on.
 * Two API processes (`ADMISSION_CONTROL=off` and `adaptive`, as `npm start` runs) share one embedded engine
 * and take turns in slices: first each one's closed-loop maximum, then an open-model run at `--factor`
 * times the larger maximum, over `--connections` client connections.
 */
const { values } = parseArgs({
  options: {
    slices: { type: 'string', default: '4' },
    'slice-seconds': { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '64' },
    factor: { type: 'string', default: '2' },
    connections: { type: 'string', default: '256' },
  },
});
const slices = Number(values.slices);
const sliceS = Number(values['slice-seconds']);
const concurrency = Number(values.concurrency);
const factor = Number(values.factor);
const connections = Number(values.connections);

const MODES = ['off', 'adaptive'] as const;
type Mode = (typeof MODES)[number];

const body = JSON.stringify({
  source: 'bench',
  event_type: 'order.created',
  payload: { order_id: 'ord_1', amount: 4999 },
});

function medianBy(runs: RunResult[], key: (run: RunResult) => number): number {
  return median(runs.map(key));
}

async function main(): Promise<void> {
  const engine = await startEmbeddedEngine({ port: 0, mode: 'child-process' });
  const db = createDynamoDbClients({ region: 'us-east-1', endpoint: engine.endpoint });
  await ensureTables(db.client, db.doc, DEFAULT_TABLE_NAMES);
  const servers = new Map<Mode, ServerProcess>();
  const pools: Pool[] = [];
  try {
    for (const mode of MODES) {
      servers.set(
        mode,
        await startServerProcess(
          {
            DYNAMODB_ENDPOINT: engine.endpoint,
            DEV_API_KEY: `tk_bench_overload_${mode}_0001`,
            ADMISSION_CONTROL: mode,
          },
          { outputFile: join(tmpdir(), `triggers-api-bench-overload-${mode}.log`) },
        ),
      );
    }
    const post = (mode: Mode) => {
      const server = servers.get(mode);
      if (!server) throw new Error(`no server for ${mode}`);
      const pool = new Pool(server.url, { connections });
      pools.push(pool);
      return eventPoster(pool, `tk_bench_overload_${mode}_0001`, body);
    };
    const posts = { off: post('off'), adaptive: post('adaptive') };
    process.stdout.write('Warming up both APIs...\n');
    for (const mode of MODES) await runAtFixedRate(posts[mode], 200, 3);

    process.stdout.write(`Closed-loop maximum, ${concurrency} in flight, ${slices} slices of ${sliceS} s each...\n`);
    const maxima: Record<Mode, RunResult[]> = { off: [], adaptive: [] };
    for (let slice = 0; slice < slices; slice++) {
      const order = slice % 2 === 0 ? MODES : [...MODES].reverse();
      for (const mode of order) maxima[mode].push(await runAtMaxThroughput(posts[mode], concurrency, sliceS));
    }
    const capacity = Math.max(...MODES.map((mode) => medianBy(maxima[mode], (r) => r.achievedRate)));
    const offered = Math.round(capacity * factor);

    process.stdout.write(
      `Offered ${offered}/s (${factor} x ${capacity.toFixed(0)}/s), open model, ${connections} connections...\n`,
    );
    const overloads: Record<Mode, RunResult[]> = { off: [], adaptive: [] };
    for (let slice = 0; slice < slices; slice++) {
      const order = slice % 2 === 0 ? MODES : [...MODES].reverse();
      for (const mode of order) overloads[mode].push(await runAtFixedRate(posts[mode], offered, sliceS));
    }

    const rows = MODES.map((mode) => {
      const runs = overloads[mode];
      const served = medianBy(runs, (r) => r.succeeded / r.durationS);
      const shed = medianBy(runs, (r) => (r.failuresByReason['HTTP 503'] ?? 0) / r.sent) * 100;
      const other = medianBy(runs, (r) => (r.failed - (r.failuresByReason['HTTP 503'] ?? 0)) / r.sent) * 100;
      return [
        mode.padEnd(10),
        medianBy(maxima[mode], (r) => r.achievedRate)
          .toFixed(0)
          .padStart(9),
        served.toFixed(0).padStart(11),
        medianBy(runs, (r) => r.succeededLatency.p50Ms)
          .toFixed(1)
          .padStart(9),
        medianBy(runs, (r) => r.succeededLatency.p95Ms)
          .toFixed(1)
          .padStart(9),
        medianBy(runs, (r) => r.succeededLatency.p99Ms)
          .toFixed(1)
          .padStart(9),
        `${shed.toFixed(1)} %`.padStart(8),
        `${other.toFixed(1)} %`.padStart(8),
        medianBy(runs, (r) => r.latency.p95Ms)
          .toFixed(1)
          .padStart(12),
        (runs.some((r) => r.failed > 0) ? medianBy(runs, (r) => r.failedLatency.p95Ms).toFixed(1) : '-').padStart(12),
      ].join(' ');
    });
    process.stdout.write(
      [
        '',
        `medians of ${slices} slices; latency from each request's scheduled time`,
        'admission  max/s (64)  served/s at  p50 ms   p95 ms   p99 ms     shed    other  p95 all ms  p95 ms',
        `           closed loop  ${offered}/s   (201s)   (201s)   (201s)     (503)  failures  (with 503s)   (503s)`,
        ...rows,
        '',
      ].join('\n'),
    );
  } finally {
    await Promise.allSettled(pools.map((pool) => pool.close()));
    for (const server of servers.values()) server.child.kill('SIGTERM');
    await Promise.allSettled([...servers.values()].map((server) => server.exited));
    db.client.destroy();
    await engine.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
