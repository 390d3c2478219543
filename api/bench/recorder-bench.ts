import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { parseArgs } from 'node:util';
import { CloudWatchSink } from '../src/observability/metrics/cloudwatch-sink';
import { EmfSink } from '../src/observability/metrics/emf-sink';
import type { MetricsPeriod } from '../src/observability/metrics/metrics-period';
import { MetricsRecorder } from '../src/observability/metrics/metrics-recorder';
import type { MetricsSink, RequestObservation } from '../src/observability/metrics/metrics-sink';
import { PrometheusSink } from '../src/observability/metrics/prometheus-sink';

/**
 * `npm run bench:recorder`: what the metrics recorder costs per request, without a sink (the dashboard's
 * snapshot only) and with the per-minute periods a sink is handed; then what each sink takes to encode one
 * minute of requests (EMF documents, PutMetricData datums, Prometheus observations). In-process, no I/O.
 */
const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '1000000' },
    /** Requests in the minute each sink encodes. */
    minute: { type: 'string', default: '60000' },
    rounds: { type: 'string', default: '5' },
  },
});
const requests = Number(values.requests);
const minuteRequests = Number(values.minute);
const rounds = Number(values.rounds);

const ENDPOINTS = ['POST /v1/events', 'GET /v1/inbox', 'POST /v1/events/{event_id}/ack', 'GET /v1/health'];

function observation(i: number): RequestObservation {
  const failed = i % 1000 === 0;
  return {
    endpoint: ENDPOINTS[i % ENDPOINTS.length] ?? 'GET /v1/health',
    statusCode: failed ? 503 : 201,
    durationMs: 1 + ((i * 7919) % 2500) / 10,
    ...(failed && { errorType: 'SERVICE_UNAVAILABLE' }),
  };
}

/** Keeps what it is handed, to time the real sinks' encoding apart from the recording. */
class KeepingSink implements MetricsSink {
  periods: MetricsPeriod[] = [];
  write(periods: readonly MetricsPeriod[]): void {
    this.periods.push(...periods);
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function nsPerRequest(recorder: MetricsRecorder): number {
  const started = process.hrtime.bigint();
  for (let i = 0; i < requests; i++) {
    recorder.recordRequest(observation(i));
    recorder.recordEventsIngested(1);
  }
  return Number(process.hrtime.bigint() - started) / requests;
}

const median = (numbers: number[]): number => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)] ?? 0;

async function oneMinute(): Promise<MetricsPeriod[]> {
  const keeping = new KeepingSink();
  const now = Date.now();
  const recorder = new MetricsRecorder({ sink: keeping, now: () => now, maxEndpoints: 64 });
  for (let i = 0; i < minuteRequests; i++) recorder.recordRequest(observation(i));
  await recorder.flush();
  return keeping.periods;
}

async function main(): Promise<void> {
  const withoutSink: number[] = [];
  const withPeriods: number[] = [];
  for (let round = 0; round < rounds; round++) {
    withoutSink.push(nsPerRequest(new MetricsRecorder({})));
    withPeriods.push(nsPerRequest(new MetricsRecorder({ sink: new KeepingSink() })));
  }
  console.log(`recording, median of ${rounds} rounds of ${requests.toLocaleString('en-US')} requests:`);
  console.log(`  without a sink (snapshot only)     ${median(withoutSink).toFixed(0)} ns/request`);
  console.log(`  with per-minute periods for a sink ${median(withPeriods).toFixed(0)} ns/request`);

  // The client is never called: only encoding is timed, sending is the sink's background work.
  const client = new CloudWatchClient({ region: 'us-east-1' });
  // [label, sink, whether its flush is part of encoding: EMF builds its documents in flush, CloudWatch's sends]
  const sinks: [string, () => MetricsSink, boolean][] = [
    [
      'emf (Powertools documents, written to nowhere)',
      () => new EmfSink({ namespace: 'TriggersAPI/Bench', write: () => {} }),
      true,
    ],
    [
      'cloudwatch (PutMetricData datums, queued)',
      () => new CloudWatchSink({ client, namespace: 'TriggersAPI/Bench' }),
      false,
    ],
    ['prometheus (prom-client observations)', () => new PrometheusSink(), true],
  ];
  console.log(`encoding one minute of ${minuteRequests.toLocaleString('en-US')} requests, median of ${rounds}:`);
  for (const [label, create, flushEncodes] of sinks) {
    const times: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const periods = await oneMinute();
      const sink = create();
      const started = process.hrtime.bigint();
      sink.write(periods);
      if (flushEncodes) await sink.flush();
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    const ms = median(times);
    console.log(`  ${label.padEnd(48)} ${ms.toFixed(1)} ms (${((ms * 1e6) / minuteRequests).toFixed(0)} ns/request)`);
  }
  client.destroy();

  // In Lambda the handler flushes after every invocation: one request per flush.
  const invocations = 20_000;
  const lambda = new MetricsRecorder({ sink: new EmfSink({ namespace: 'TriggersAPI/Bench', write: () => {} }) });
  const started = process.hrtime.bigint();
  for (let i = 0; i < invocations; i++) {
    lambda.recordRequest(observation(i + 1));
    lambda.recordEventsIngested(1);
    await lambda.flush();
  }
  const us = Number(process.hrtime.bigint() - started) / 1e3 / invocations;
  console.log(
    `emf as in Lambda, a flush after each of ${invocations.toLocaleString('en-US')} requests: ${us.toFixed(1)} us/request`,
  );
}

void main();
