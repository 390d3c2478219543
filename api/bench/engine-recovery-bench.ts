/**
 * `npm run bench:engine-recovery -- [--runs 5] [--mode disk|memory]`: how long the API is down
 * when its embedded engine is killed under load. Each run starts a fresh server process (`npm start`'s
 * command), sends POSTs at concurrency 16, SIGKILLs the engine after 150 accepted events and keeps the
 * load on until 150 more are accepted after health is back; then reads every accepted event back.
 * Prints, per run and as median/max: health down time, first accepted write after the kill, answers by
 * status, and events lost (always expected 0 on disk).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runEngineKillDrill, unreadableEvents } from '../../tooling/engine-kill-drill';
import { descendantPids, enginePidOf, killAll } from '../../tooling/process-tree';
import { startServerProcess } from '../../tooling/server-process';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    mode: { type: 'string', default: 'disk' },
  },
});
const runs = Number(values.runs);
const mode = values.mode === 'memory' ? 'memory' : 'disk';

interface Run {
  healthDownMs: number | undefined;
  firstWriteMs: number | undefined;
  requests: number;
  byStatus: Record<string, number>;
  /** Accepted events not read back; undefined in memory mode, where the kill loses them by design. */
  lost: number | undefined;
}

async function run(): Promise<Run> {
  const dataDir = mode === 'disk' ? mkdtempSync(join(tmpdir(), 'engine-recovery-')) : undefined;
  const server = await startServerProcess(dataDir ? { DATA_DIR: dataDir } : {});
  const pids = descendantPids(server.child.pid ?? 0);
  try {
    const enginePid = enginePidOf(server.child.pid ?? 0);
    if (enginePid === undefined) throw new Error('no engine process under the server');
    const drill = await runEngineKillDrill({
      url: server.url,
      apiKey: server.apiKey,
      killEngine: () => process.kill(enginePid, 'SIGKILL'),
      createdBeforeKill: 150,
      createdAfterRecovery: 150,
    });
    // In memory the events accepted before the kill are gone by design: only disk mode counts losses.
    const lost = dataDir ? (await unreadableEvents(server.url, server.apiKey, drill.created)).length : undefined;
    return {
      healthDownMs: drill.healthRecoveredMs,
      firstWriteMs: drill.firstWriteAfterKillMs,
      requests: drill.requests,
      byStatus: drill.byStatus,
      lost,
    };
  } finally {
    const all = [...pids, ...descendantPids(server.child.pid ?? 0)];
    server.child.kill('SIGTERM');
    await server.exited;
    killAll(all);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
}

async function main(): Promise<void> {
  const results: Run[] = [];
  for (let i = 1; i <= runs; i++) {
    const result = await run();
    results.push(result);
    console.log(
      `run ${i} (${mode}): health down ${result.healthDownMs ?? 'never back'} ms, first write after kill ` +
        `${result.firstWriteMs ?? '-'} ms, ${result.requests} requests ${JSON.stringify(result.byStatus)}, lost ${result.lost ?? 'n/a (memory)'}`,
    );
  }
  const down = results.map((r) => r.healthDownMs ?? Number.POSITIVE_INFINITY);
  const writes = results.map((r) => r.firstWriteMs ?? Number.POSITIVE_INFINITY);
  const total = (key: string): number => results.reduce((sum, r) => sum + (r.byStatus[key] ?? 0), 0);
  const serverErrors = results.reduce(
    (sum, r) =>
      sum + Object.entries(r.byStatus).reduce((s, [k, n]) => s + (k !== '503' && k.startsWith('5') ? n : 0), 0),
    0,
  );
  console.log(
    `\n${runs} runs (${mode}): health down median ${median(down)} ms, max ${Math.max(...down)} ms; ` +
      `first write after kill median ${median(writes)} ms, max ${Math.max(...writes)} ms; ` +
      `${results.reduce((s, r) => s + r.requests, 0)} requests: ${total('201')} x 201, ${total('503')} x 503, ` +
      `${serverErrors} other 5xx, ${total('network-error')} without answer; ` +
      (mode === 'disk'
        ? `${results.reduce((s, r) => s + (r.lost ?? 0), 0)} accepted events lost`
        : 'in memory the kill loses every event by design'),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
