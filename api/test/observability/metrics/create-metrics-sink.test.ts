import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ConfigError } from '../../../src/config';
import { CloudWatchSink } from '../../../src/observability/metrics/cloudwatch-sink';
import { createMetricsSink, isMetricsSinkKind } from '../../../src/observability/metrics/create-metrics-sink';
import { EmfSink } from '../../../src/observability/metrics/emf-sink';
import type { MetricsSink } from '../../../src/observability/metrics/metrics-sink';
import { MetricsRecorder } from '../../../src/observability/metrics/metrics-recorder';
import { PrometheusSink } from '../../../src/observability/metrics/prometheus-sink';

describe('createMetricsSink', () => {
  const created: MetricsSink[] = [];
  afterEach(async () => {
    await Promise.all(created.splice(0).map((sink) => sink.close()));
  });

  // The client is never called here: no request is recorded.
  const cloudWatchClient = () => new CloudWatchClient({ region: 'us-east-1' });

  it.each([
    ['emf', EmfSink],
    ['cloudwatch', CloudWatchSink],
    ['prometheus', PrometheusSink],
  ])('creates the %s sink', (kind, type) => {
    const sink = createMetricsSink(kind, { stage: 'Production', cloudWatchClient });
    if (sink) created.push(sink);

    expect(sink).toBeInstanceOf(type);
  });

  it('creates no sink for none: the recorder then keeps its snapshot only', () => {
    expect(createMetricsSink('none', { stage: 'Production', cloudWatchClient })).toBeUndefined();
  });

  it('names the unknown value and the accepted ones', () => {
    expect(() => createMetricsSink('statsd', { stage: 'Production' })).toThrow(
      new ConfigError("METRICS_SINK must be one of emf, cloudwatch, prometheus, none, got 'statsd'"),
    );
  });

  it('refuses the cloudwatch sink without a client', () => {
    expect(() => createMetricsSink('cloudwatch', { stage: 'Production' })).toThrow(/needs a CloudWatch client/);
  });

  it('puts EMF metrics in the stage namespace', async () => {
    const lines: string[] = [];
    const sink = createMetricsSink('emf', { stage: 'Staging', write: (line) => lines.push(line) });
    const recorder = new MetricsRecorder({ sink });
    recorder.recordRequest({ endpoint: 'GET /v1/health', statusCode: 200, durationMs: 1 });

    await recorder.flush();

    expect(JSON.parse(lines[0])._aws.CloudWatchMetrics[0].Namespace).toBe('TriggersAPI/Staging');
  });

  it.each([
    ['emf', true],
    ['none', true],
    ['EMF', false],
    ['', false],
  ])('recognises %j as a kind: %p', (value, expected) => {
    expect(isMetricsSinkKind(value)).toBe(expected);
  });
});
