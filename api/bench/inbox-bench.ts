import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { Pool } from 'undici';
import { CONTROL_TENANT, indexControlSk } from '../../contract/control-record';
import {
  DEFAULT_TABLE_NAMES,
  INBOX_SOURCE_INDEX,
  INBOX_SOURCE_TYPE_INDEX,
  INBOX_TYPE_INDEX,
} from '../../contract/table-schemas';
import { createDynamoDbClients } from '../../platform/dynamodb-client';
import { pendingEvent, seedEvents } from '../../tooling/event-seed';
import { runAtFixedRate, runAtMaxThroughput, type Operation, type RunResult } from '../../tooling/load-generators';
import { startServerProcess } from '../../tooling/server-process';
import { toEventItem } from '../src/store/event-item';

/*
 * The inbox at scale: GET /v1/inbox with the polling mix of the inbox_polling scenario of the Triggers
 * API this project serves (limit 10/25/50/100; 30 % of requests filter by source and 30 % by event type,
 * mostly values that match nothing) on a backlog of one tenant, at a fixed rate (open model: latency from
 * the scheduled send). Side by side on the same backlog: through the filter indexes, and with them
 * unverified (a table before the migration: filters over inbox-index). Items read per request come from
 * the API's own access lines (`inbox_items_read`). Also: lookups by id at 10 % and 100 % of the backlog.
 */

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    rate: { type: 'string', default: '100' },
    duration: { type: 'string', default: '30' },
    'fallback-duration': { type: 'string', default: '15' },
    'lookup-rate': { type: 'string', default: '100' },
    'lookup-duration': { type: 'string', default: '10' },
  },
});
const EVENTS = Number(values.events);
const RATE = Number(values.rate);
const DURATION_S = Number(values.duration);
const FALLBACK_S = Number(values['fallback-duration']);
const LOOKUP_RATE = Number(values['lookup-rate']);
const LOOKUP_S = Number(values['lookup-duration']);
const SOURCES = 10;
const TYPES = 20;
const LIMITS = [10, 25, 50, 100];
const TENANT = 'dev';
const FILTER_INDEXES = [INBOX_SOURCE_INDEX, INBOX_TYPE_INDEX, INBOX_SOURCE_TYPE_INDEX];

/** Deterministic pseudo-random numbers, so both phases send the same mix. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** The i-th request of the polling mix: a limit and an optional filter (3 in 4 filter values match nothing). */
function mixQuery(random: () => number): { limit: number; query: string } {
  const limit = LIMITS[Math.floor(random() * LIMITS.length)] ?? 50;
  const kind = random();
  const matches = random() < 0.25;
  const pick = (n: number): number => Math.floor(random() * n);
  if (kind < 0.3) return { limit, query: `&source=${matches ? `src-${pick(SOURCES)}` : `no-such-source-${pick(50)}`}` };
  if (kind < 0.6)
    return { limit, query: `&event_type=${matches ? `type.${pick(TYPES)}` : `no.such.type.${pick(50)}`}` };
  return { limit, query: '' };
}

interface Requested {
  limit: number;
  query: string;
}

function inboxPoller(pool: Pool, apiKey: string, phase: string, requested: Map<string, Requested>): Operation {
  const random = lcg(42);
  return async (i) => {
    const { limit, query } = mixQuery(random);
    const id = `${phase}-${i}`;
    requested.set(id, { limit, query });
    const res = await pool.request({
      method: 'GET',
      path: `/v1/inbox?limit=${limit}${query}`,
      headers: { 'x-api-key': apiKey, 'x-request-id': id },
    });
    await res.body.dump();
    return res.statusCode === 200 ? true : `HTTP ${res.statusCode}`;
  };
}

interface ReadStats {
  requests: number;
  maxItemsRead: number;
  maxReadPerLimit: number;
  byIndex: Record<string, number>;
}

/** Items read per request of a phase, from the API's access lines. */
function readStats(output: string, phase: string, requested: Map<string, Requested>): ReadStats {
  const stats: ReadStats = { requests: 0, maxItemsRead: 0, maxReadPerLimit: 0, byIndex: {} };
  for (const text of output.split('\n')) {
    if (!text.includes(`"${phase}-`)) continue;
    const line = JSON.parse(text) as { request_id?: string; inbox_items_read?: number; inbox_index?: string };
    const asked = line.request_id === undefined ? undefined : requested.get(line.request_id);
    if (!asked || line.inbox_items_read === undefined) continue;
    stats.requests++;
    stats.maxItemsRead = Math.max(stats.maxItemsRead, line.inbox_items_read);
    stats.maxReadPerLimit = Math.max(stats.maxReadPerLimit, line.inbox_items_read / asked.limit);
    const index = line.inbox_index ?? '?';
    stats.byIndex[index] = (stats.byIndex[index] ?? 0) + 1;
  }
  return stats;
}

function row(name: string, r: RunResult, reads?: ReadStats): string {
  return [
    name.padEnd(44),
    r.achievedRate.toFixed(0).padStart(7),
    r.latency.p50Ms.toFixed(1).padStart(8),
    r.latency.p95Ms.toFixed(1).padStart(8),
    r.latency.p99Ms.toFixed(1).padStart(8),
    `${((100 * r.succeeded) / Math.max(1, r.sent)).toFixed(1)}%`.padStart(8),
    (reads ? String(reads.maxItemsRead) : '-').padStart(10),
    (reads ? reads.maxReadPerLimit.toFixed(2) : '-').padStart(9),
  ].join(' ');
}

async function main(): Promise<void> {
  const logFile = join(tmpdir(), 'triggers-api-inbox-bench.log');
  const server = await startServerProcess({ LOG_LEVEL: 'info', INDEX_REFRESH_SECONDS: '1' }, { outputFile: logFile });
  const pool = new Pool(server.url, { connections: 64 });
  const db = createDynamoDbClients({ region: 'us-east-1', endpoint: server.dynamodbEndpoint });
  const table = DEFAULT_TABLE_NAMES.events;
  try {
    const putRaw = async (): Promise<boolean> => {
      const event = pendingEvent('bench-raw', new Date(), 0, { source: 'raw', eventType: 'raw' });
      await db.doc.send(new PutCommand({ TableName: table, Item: toEventItem(event) }));
      return true;
    };
    await runAtMaxThroughput(putRaw, 64, 2);
    const raw = await runAtMaxThroughput(putRaw, 64, 3);
    process.stdout.write(
      `Engine: raw PutItem ${raw.achievedRate.toFixed(0)}/s (64 in flight, 3 s, after 2 s warm-up)\n`,
    );

    const start = new Date(Date.now() - EVENTS * 10);
    const event = (i: number): ReturnType<typeof pendingEvent> =>
      pendingEvent(TENANT, start, i * 10, { source: `src-${i % SOURCES}`, eventType: `type.${i % TYPES}` });
    const lookupIds: string[] = [];
    const seed = async (from: number, to: number): Promise<void> => {
      const began = performance.now();
      for (let i = from; i < to; i += 5000) {
        const chunk = Array.from({ length: Math.min(5000, to - i) }, (_, k) => event(i + k));
        for (const e of chunk.slice(0, 50)) lookupIds.push(e.eventId);
        await seedEvents(db.doc, table, chunk);
      }
      const seconds = (performance.now() - began) / 1000;
      process.stdout.write(`Seeded events ${from}-${to} of tenant ${TENANT} in ${seconds.toFixed(1)} s\n`);
    };
    const lookup = (phase: string): Operation => {
      const random = lcg(7);
      return async () => {
        const id = lookupIds[Math.floor(random() * lookupIds.length)] ?? randomUUID();
        const res = await pool.request({
          method: 'GET',
          path: `/v1/events/${id}`,
          headers: { 'x-api-key': server.apiKey, 'x-request-id': `${phase}-${randomUUID()}` },
        });
        await res.body.dump();
        return res.statusCode === 200 ? true : `HTTP ${res.statusCode}`;
      };
    };

    const tenth = Math.floor(EVENTS / 10);
    await seed(0, tenth);
    await runAtFixedRate(lookup('warm'), LOOKUP_RATE, 3);
    const lookupsSmall = await runAtFixedRate(lookup('lookup-small'), LOOKUP_RATE, LOOKUP_S);
    await seed(tenth, EVENTS);
    await runAtFixedRate(lookup('warm'), LOOKUP_RATE, 3);
    const lookupsLarge = await runAtFixedRate(lookup('lookup-large'), LOOKUP_RATE, LOOKUP_S);

    const requested = new Map<string, Requested>();
    process.stdout.write(`Inbox polling mix at ${RATE}/s: ${DURATION_S} s through the filter indexes...\n`);
    await runAtFixedRate(inboxPoller(pool, server.apiKey, 'warm', requested), RATE, 3);
    const indexed = await runAtFixedRate(inboxPoller(pool, server.apiKey, 'indexed', requested), RATE, DURATION_S);

    // The same table before the migration: the filter indexes' control records say nothing yet.
    const records = FILTER_INDEXES.map((name) => ({ tenant_id: CONTROL_TENANT, sk: indexControlSk(name) }));
    for (const key of records) await db.doc.send(new DeleteCommand({ TableName: table, Key: key }));
    await new Promise((resolve) => setTimeout(resolve, 2500));
    process.stdout.write(`...and ${FALLBACK_S} s with the filter indexes unverified (filters over inbox-index)\n`);
    const fallback = await runAtFixedRate(inboxPoller(pool, server.apiKey, 'fallback', requested), RATE, FALLBACK_S);
    for (const key of records) {
      await db.doc.send(
        new PutCommand({
          TableName: table,
          Item: { ...key, status: 'verified', verified_at: new Date().toISOString(), verified_by: 'inbox-bench' },
        }),
      );
    }

    await new Promise((resolve) => setTimeout(resolve, 500));
    const output = server.output();
    const indexedReads = readStats(output, 'indexed', requested);
    const fallbackReads = readStats(output, 'fallback', requested);
    const header = [
      'phase'.padEnd(44),
      'rate/s'.padStart(7),
      'p50 ms'.padStart(8),
      'p95 ms'.padStart(8),
      'p99 ms'.padStart(8),
      'ok'.padStart(8),
      'max read'.padStart(10),
      'read/lim'.padStart(9),
    ].join(' ');
    process.stdout.write(`\n${header}\n${'-'.repeat(header.length)}\n`);
    process.stdout.write(`${row(`inbox mix, ${EVENTS} events, filter indexes`, indexed, indexedReads)}\n`);
    process.stdout.write(`${row(`inbox mix, ${EVENTS} events, no filter indexes`, fallback, fallbackReads)}\n`);
    process.stdout.write(`${row(`GET /v1/events/{id}, ${tenth} events`, lookupsSmall)}\n`);
    process.stdout.write(`${row(`GET /v1/events/{id}, ${EVENTS} events`, lookupsLarge)}\n`);
    process.stdout.write(
      `\nInbox requests by index (indexed phase): ${JSON.stringify(indexedReads.byIndex)}; ` +
        `access lines matched ${indexedReads.requests} of ${indexed.sent}\n`,
    );
    process.stdout.write(
      `Lookup p95 ratio ${EVENTS} / ${tenth} events: ${(lookupsLarge.latency.p95Ms / lookupsSmall.latency.p95Ms).toFixed(2)}\n`,
    );
    process.stdout.write(`Engine raw PutItem in this run: ${raw.achievedRate.toFixed(0)}/s\n`);
  } finally {
    await pool.close();
    db.client.destroy();
    server.child.kill('SIGTERM');
    await server.exited;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
