import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BatchWriteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { Pool } from 'undici';
import { epochSeconds } from '../../contract/event';
import { startServerProcess } from '../../tooling/server-process';
import { createDynamoDbClients } from '../../platform/dynamodb-client';
import { toEventItem } from '../src/store/event-item';
import { DEFAULT_TABLE_NAMES } from '../../contract/table-schemas';
import { eventPoster, median, runAtFixedRate, runAtMaxThroughput, type RunResult } from '../../tooling/load-generators';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '1000' },
    duration: { type: 'string', default: '30' },
    concurrency: { type: 'string', default: '64' },
    slices: { type: 'string', default: '8' },
    'slice-seconds': { type: 'string', default: '3' },
    /** `off` starts the API with WRITE_COALESCING=off (one PutItem per event), for a comparison. */
    coalescing: { type: 'string', default: 'on' },
  },
});
const rate = Number(values.rate);
const durationS = Number(values.duration);
const concurrency = Number(values.concurrency);
const slices = Number(values.slices);
const sliceS = Number(values['slice-seconds']);
const BATCH_SIZE = 25;

const body = JSON.stringify({
  source: 'bench',
  event_type: 'order.created',
  payload: { order_id: 'ord_123', amount: 4999, currency: 'EUR', items: [{ sku: 'A1', qty: 2 }] },
  metadata: { priority: 'normal' },
});

/** The slice whose rate is the median (lower middle for an even count). */
function medianRun(runs: RunResult[]): RunResult {
  const sorted = [...runs].sort((a, b) => a.achievedRate - b.achievedRate);
  const chosen = sorted[Math.floor((sorted.length - 1) / 2)];
  if (!chosen) throw new Error('no runs');
  return chosen;
}

function row(name: string, r: RunResult): string {
  const success = r.sent === 0 ? 0 : (100 * r.succeeded) / r.sent;
  return [
    name.padEnd(40),
    r.achievedRate.toFixed(0).padStart(8),
    r.latency.p50Ms.toFixed(1).padStart(8),
    r.latency.p95Ms.toFixed(1).padStart(8),
    r.latency.p99Ms.toFixed(1).padStart(8),
    `${success.toFixed(2)}%`.padStart(9),
    Object.keys(r.failuresByReason).length ? `  failures: ${JSON.stringify(r.failuresByReason)}` : '',
  ].join(' ');
}

async function main(): Promise<void> {
  process.stdout.write(`Starting the API and the embedded engine (as npm start does)...\n`);
  const server = await startServerProcess(
    { WRITE_COALESCING: values.coalescing === 'off' ? 'off' : 'on' },
    { outputFile: join(tmpdir(), 'triggers-api-bench-api.log') },
  );
  process.stdout.write(`API with WRITE_COALESCING=${values.coalescing === 'off' ? 'off' : 'on'}\n`);
  const pool = new Pool(server.url, { connections: concurrency });
  const db = createDynamoDbClients({ region: 'us-east-1', endpoint: server.dynamodbEndpoint });
  try {
    const postEvent = eventPoster(pool, server.apiKey, body);
    const rawItem = (): ReturnType<typeof toEventItem> => {
      const now = new Date();
      return toEventItem({
        tenantId: 'bench-raw',
        eventId: randomUUID(),
        createdAt: now.toISOString(),
        source: 'bench',
        eventType: 'order.created',
        payloadJson: '{"order_id":"ord_123","amount":4999,"currency":"EUR","items":[{"sku":"A1","qty":2}]}',
        metadata: { priority: 'normal' },
        status: 'pending',
        expiresAt: epochSeconds(now) + 7 * 86400,
      });
    };
    const putRaw = async (): Promise<boolean> => {
      await db.doc.send(
        new PutCommand({
          TableName: DEFAULT_TABLE_NAMES.events,
          Item: rawItem(),
          ConditionExpression: 'attribute_not_exists(sk)',
        }),
      );
      return true;
    };
    // For comparison only: what the engine takes when writes are grouped by the client.
    const batchRaw = async (): Promise<boolean | string> => {
      const result = await db.doc.send(
        new BatchWriteCommand({
          RequestItems: {
            [DEFAULT_TABLE_NAMES.events]: Array.from({ length: BATCH_SIZE }, () => ({
              PutRequest: { Item: rawItem() },
            })),
          },
        }),
      );
      return Object.keys(result.UnprocessedItems ?? {}).length === 0 || 'unprocessed items';
    };

    const batchBody = JSON.stringify({ events: Array.from({ length: 25 }, () => JSON.parse(body) as unknown) });
    const postBatch = async (): Promise<boolean | string> => {
      const res = await pool.request({
        method: 'POST',
        path: '/v1/events/batch',
        headers: { 'content-type': 'application/json', 'x-api-key': server.apiKey },
        body: batchBody,
      });
      const answer = (await res.body.json()) as { created?: number };
      return res.statusCode === 200 && answer.created === 25 ? true : `HTTP ${res.statusCode}`;
    };

    process.stdout.write('Warming up...\n');
    await runAtFixedRate(postEvent, 200, 3);
    await runAtMaxThroughput(putRaw, concurrency, 2);

    // Engine and API take turns in short slices, so both see the same machine and the same table size;
    // the ratio is the median of the per-slice ratios, which one noisy slice cannot swing.
    process.stdout.write(
      `Engine PutItem vs API POST /v1/events (${concurrency} in flight) vs POST /v1/events/batch (${concurrency / 4} in flight), ${slices} slices of ${sliceS}s each...\n`,
    );
    const raws: RunResult[] = [];
    const apis: RunResult[] = [];
    const batches: RunResult[] = [];
    await runAtMaxThroughput(postBatch, concurrency / 4, 2);
    for (let slice = 0; slice < slices; slice++) {
      if (slice % 2 === 0) {
        raws.push(await runAtMaxThroughput(putRaw, concurrency, sliceS));
        apis.push(await runAtMaxThroughput(postEvent, concurrency, sliceS));
        batches.push(await runAtMaxThroughput(postBatch, concurrency / 4, sliceS));
      } else {
        batches.push(await runAtMaxThroughput(postBatch, concurrency / 4, sliceS));
        apis.push(await runAtMaxThroughput(postEvent, concurrency, sliceS));
        raws.push(await runAtMaxThroughput(putRaw, concurrency, sliceS));
      }
    }
    const raw = medianRun(raws);
    const apiMax = medianRun(apis);
    const batchMax = medianRun(batches);
    const ratio = median(apis.map((api, i) => (100 * api.achievedRate) / (raws[i]?.achievedRate ?? 1)));
    const batchRatio = median(batches.map((batch, i) => (25 * batch.achievedRate) / (apis[i]?.achievedRate ?? 1)));
    process.stdout.write(
      `Engine: BatchWriteItem of ${BATCH_SIZE} items, ${concurrency / 4} in flight, ${sliceS}s...\n`,
    );
    const batched = await runAtMaxThroughput(batchRaw, concurrency / 4, sliceS);
    process.stdout.write(`API: POST /v1/events at a fixed ${rate}/s (open model), ${durationS}s...\n`);
    const fixed = await runAtFixedRate(postEvent, rate, durationS);

    const header = [
      'phase'.padEnd(40),
      'rate/s'.padStart(8),
      'p50 ms'.padStart(8),
      'p95 ms'.padStart(8),
      'p99 ms'.padStart(8),
      'success'.padStart(9),
    ].join(' ');
    process.stdout.write(
      [
        '',
        header,
        row(`engine PutItem (max, median slice)`, raw),
        row(`API POST /v1/events (max, median slice)`, apiMax),
        row(`API POST /v1/events (fixed ${rate}/s)`, fixed),
        row(`API POST /v1/events/batch of 25 (max)`, batchMax),
        '',
        `API batch: ${(25 * batchMax.achievedRate).toFixed(0)} events/s through POST /v1/events/batch (${concurrency / 4} batches in flight), ${batchRatio.toFixed(2)} x the single-event maximum (median of ${slices} per-slice ratios)`,
        `engine BatchWriteItem (${BATCH_SIZE} items/request, max): ${(batched.achievedRate * BATCH_SIZE).toFixed(0)} items/s, p95 ${batched.latency.p95Ms.toFixed(1)} ms per request`,
        `API max / engine max (median of ${slices} per-slice ratios): ${ratio.toFixed(1)}%`,
        `Fixed-rate run: ${fixed.sent} requests scheduled, ${fixed.succeeded} succeeded; latency measured from each request's scheduled time.`,
        '',
      ].join('\n'),
    );
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
