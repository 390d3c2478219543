import { tmpdir } from 'node:os';
import { join } from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { Pool } from 'undici';
import { LOOKUP_METHODS, PrometheusMetricNames, type LookupMethod } from '../../contract/metrics';
import type { EmbeddedEngine } from '../../engine/src/embedded-engine';
import { coresSince, cpuSnapshot } from '../../tooling/cpu-usage';
import { runAtFixedRate, type RunResult } from '../../tooling/load-generators';
import { startServerProcess } from '../../tooling/server-process';
import { running } from './bench-processes';
import type { Target } from './seed-phase';

/** How often the API re-reads the index state; the index phase starts once it has had time to. */
export const REFRESH_SECONDS = 1;

export type Lookups = Record<LookupMethod, number>;

/** Lookups of one target by one method: the runs, what the API counted and what other processes used. */
export interface Measured {
  target: Target;
  method: LookupMethod;
  runs: RunResult[];
  /** What the API counted for the measured requests only. */
  byMethod: Lookups;
  /** Cores other processes used, per run. */
  othersCores: number[];
}

/** Starts an API process (as `npm start` does) on the target's tables, and its `GET /v1/events/{id}` operation. */
export async function startApi(engine: EmbeddedEngine, target: Target, lookupTenant: string): Promise<void> {
  const apiKey = `tk_bench_migration_${target.label}_0001`;
  const server = await startServerProcess(
    {
      DYNAMODB_ENDPOINT: engine.endpoint,
      EVENTS_TABLE: target.tables.events,
      API_KEYS_TABLE: target.tables.apiKeys,
      DEV_API_KEY: apiKey,
      DEV_TENANT: lookupTenant,
      INDEX_REFRESH_SECONDS: String(REFRESH_SECONDS),
      METRICS_SINK: 'prometheus',
      LOG_LEVEL: 'warn',
    },
    { outputFile: join(tmpdir(), `triggers-api-bench-migration-${target.label}.log`) },
  );
  running.servers.push(server);
  const pool = new Pool(server.url, { connections: 32 });
  running.pools.push(pool);
  target.server = server;
  target.lookup = async () => {
    const id = target.eventIds[Math.floor(Math.random() * target.eventIds.length)] ?? '';
    const res = await pool.request({ method: 'GET', path: `/v1/events/${id}`, headers: { 'x-api-key': apiKey } });
    await res.body.dump();
    return res.statusCode === 200 ? true : `HTTP ${res.statusCode}`;
  };
}

/** The API's own count of lookups by method, from its Prometheus `/metrics`. */
export async function lookupCounts(target: Target): Promise<Lookups> {
  const res = await fetch(`${target.server?.url ?? ''}/metrics`);
  const family = parsePrometheusTextFormat(await res.text()).find(
    (f) => f.name === PrometheusMetricNames.eventLookupsTotal,
  );
  const count = (method: LookupMethod): number =>
    Number(family?.metrics.find((sample) => sample.labels?.method === method)?.value ?? 0);
  return Object.fromEntries(LOOKUP_METHODS.map((method) => [method, count(method)])) as Lookups;
}

/** Fixed-rate lookups; returns the run, the API's lookup counts over it and what other processes used. */
export async function measure(
  target: Target,
  rate: number,
  seconds: number,
): Promise<{ run: RunResult; byMethod: Lookups; othersCores: number }> {
  if (!target.lookup) throw new Error(`no API for ${target.label}`);
  const before = await lookupCounts(target);
  const cpu = cpuSnapshot();
  const run = await runAtFixedRate(target.lookup, rate, seconds);
  const { others } = coresSince(cpu);
  const after = await lookupCounts(target);
  return { run, byMethod: { gsi: after.gsi - before.gsi, scan: after.scan - before.scan }, othersCores: others };
}
