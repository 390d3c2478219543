/**
 * `npm run bench:lambda`: cold and warm starts of the Lambda bundles as `cdk synth` writes them. Each cold
 * start is a new sandboxed process (tooling/lambda-sandbox.ts) loading the bundle alone, as the
 * Node.js 22 runtime does; its first invocation is a client's first request. The engine's own PutItem
 * rate is printed beside the figures, since the machine's speed drifts between runs.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { mintApiKey } from '../src/domain/mint-api-key';
import { functionAt, synthesizeApp } from '../../tooling/cloud-assembly';
import { httpApiEvent } from '../../tooling/http-api-event';
import type { Invocation, LambdaSandbox } from '../../tooling/lambda-sandbox';
import { startLocalStage, type LocalStage } from '../../tooling/local-stage';
import { DynamoDbApiKeyStore } from '../src/store/dynamodb-api-key-store';
import { LatencyRecorder, type LatencySummary } from '../../tooling/latency-recorder';
import { runAtMaxThroughput } from '../../tooling/load-generators';

const { values } = parseArgs({
  options: {
    cold: { type: 'string', default: '15' },
    warm: { type: 'string', default: '300' },
    assembly: { type: 'string' },
  },
});
const coldStarts = Number(values.cold);
const warmInvocations = Number(values.warm);

const BODY = JSON.stringify({
  source: 'bench',
  event_type: 'order.created',
  payload: { order_id: 'ord_123', amount: 4999, currency: 'EUR', items: [{ sku: 'A1', qty: 2 }] },
  metadata: { priority: 'normal' },
});

function summarize(values: number[]): LatencySummary {
  const recorder = new LatencyRecorder();
  for (const value of values) recorder.recordMs(value);
  return recorder.summary();
}

function ok(invocation: Invocation): number {
  if (!invocation.ok) throw new Error(`invocation failed: ${invocation.error.name}: ${invocation.error.message}`);
  const status = (invocation.result as { statusCode?: number }).statusCode;
  if (status !== undefined && status >= 400) throw new Error(`invocation answered ${status}`);
  return invocation.durationMs;
}

interface ColdStart {
  /** Process spawn until the bundle is loaded (Node's own start included). */
  startMs: number;
  /** The bundle's `require`, measured inside the process. */
  loadMs: number;
  firstMs: number;
}

async function engineRate(stage: LocalStage): Promise<number> {
  const table = stage.tableNames.EventsTableD24865E5 ?? '';
  const put = async (): Promise<boolean> => {
    await stage.db.doc.send(
      new PutCommand({
        TableName: table,
        Item: { tenant_id: 'bench-raw', sk: `EVENT#${new Date().toISOString()}#${randomUUID()}`, payload: BODY },
      }),
    );
    return true;
  };
  await runAtMaxThroughput(put, 16, 1);
  return (await runAtMaxThroughput(put, 16, 3)).achievedRate;
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'bench-lambda-'));
  try {
    let outDir = values.assembly;
    if (!outDir) {
      process.stdout.write('Synthesizing the app (cdk synth)...\n');
      outDir = join(scratch, 'cdk.out');
      await synthesizeApp(outDir);
    }
    const stage = await startLocalStage(outDir);
    try {
      const keys = new DynamoDbApiKeyStore(stage.db.doc, stage.tableNames.ApiKeysTable9F4DC7E7 ?? '');
      const key = await mintApiKey(keys, { tenantId: 'bench', name: 'bench' });
      const headers = { 'x-api-key': key, 'content-type': 'application/json' };
      const post = httpApiEvent('POST', '/v1/events', { headers, body: BODY });
      const rateBefore = await engineRate(stage);

      process.stdout.write(`API handler: ${coldStarts} cold starts, then ${warmInvocations} warm invocations...\n`);
      const colds: ColdStart[] = [];
      let warm: LambdaSandbox | undefined;
      for (let i = 0; i < coldStarts; i++) {
        const t0 = performance.now();
        const sandbox = await stage.start('Handler');
        const startMs = performance.now() - t0;
        const firstMs = ok(await sandbox.invoke(post));
        colds.push({ startMs, loadMs: sandbox.loadMs, firstMs });
        if (i === coldStarts - 1) warm = sandbox;
        else await sandbox.close();
      }
      if (!warm) throw new Error('no cold start ran');
      const created = JSON.parse(((await warm.invoke(post)) as { result: { body: string } }).result.body) as {
        event_id: string;
      };
      const get = httpApiEvent('GET', `/v1/events/${created.event_id}`, { headers: { 'x-api-key': key } });
      const warmPost: number[] = [];
      const warmGet: number[] = [];
      for (let i = 0; i < warmInvocations; i++) {
        warmPost.push(ok(await warm.invoke(post)));
        warmGet.push(ok(await warm.invoke(get)));
      }
      const rateAfter = await engineRate(stage);

      const sizes = ['Handler', 'OnEvent', 'Backfill'].map((id) => {
        const fn = functionAt(stage.functions, id);
        return { id, kib: statSync(join(fn.assetDir, 'index.js')).size / 1024 };
      });
      const load = summarize(colds.map((c) => c.loadMs));
      const first = summarize(colds.map((c) => c.firstMs));
      const sum = summarize(colds.map((c) => c.loadMs + c.firstMs));
      const start = summarize(colds.map((c) => c.startMs));
      const warmPostSummary = summarize(warmPost);
      const warmGetSummary = summarize(warmGet);
      const ms = (value: number): string => `${value.toFixed(1)} ms`.padStart(9);
      const cold = (name: string, s: LatencySummary): string =>
        `  ${name.padEnd(32)} ${ms(s.p50Ms)} ${ms(s.p95Ms)} ${ms(s.maxMs)}`;
      const warmRow = (name: string, s: LatencySummary): string => `  ${name.padEnd(32)} ${ms(s.p50Ms)} ${ms(s.p95Ms)}`;
      process.stdout.write(
        [
          '',
          `engine PutItem (16 in flight): ${rateBefore.toFixed(0)}/s before, ${rateAfter.toFixed(0)}/s after`,
          `bundle size: ${sizes.map((size) => `${size.id} ${size.kib.toFixed(0)} KiB`).join(', ')}`,
          '',
          `API handler, ${coldStarts} cold starts           median      p95      max`,
          cold('load the bundle (require)', load),
          cold('first invocation (POST)', first),
          cold('load + first invocation', sum),
          cold('process spawn to loaded', start),
          '',
          `API handler, warm (${warmInvocations} each)      p50      p95`,
          warmRow('POST /v1/events', warmPostSummary),
          warmRow('GET /v1/events/{event_id}', warmGetSummary),
          '',
          'Invocation times are the handler call inside the sandbox (Lambda billed duration), against the embedded engine on loopback.',
          '',
        ].join('\n'),
      );
    } finally {
      await stage.close();
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
