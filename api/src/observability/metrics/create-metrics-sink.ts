import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ConfigError } from '../../config';
import { metricNamespace } from '../../../../contract/metrics';
import { CloudWatchSink } from './cloudwatch-sink';
import { METRICS_SINK_KINDS, type MetricsSinkKind } from './metrics-sink-kinds';
import { EmfSink } from './emf-sink';
import type { MetricsSink } from './metrics-sink';
import { PrometheusSink } from './prometheus-sink';

/** What the sinks need; each kind reads only its own fields. */
export interface MetricsSinkDeps {
  /** Stage of the namespace `TriggersAPI/<stage>` (emf, cloudwatch). */
  stage: string;
  /** Builds the client `PutMetricData` goes through (only for `cloudwatch`, which requires it). */
  cloudWatchClient?: () => CloudWatchClient;
  /** EMF line writer (default stdout). */
  write?: (line: string) => void;
  /** prometheus: add process metrics (default false). */
  collectDefaultMetrics?: boolean;
  /** cloudwatch: told when datums are dropped; emf: told what Powertools warns about. */
  onWarning?: (message: string, detail: Record<string, unknown>) => void;
}

/** True when `value` is a `METRICS_SINK` kind. */
export function isMetricsSinkKind(value: string): value is MetricsSinkKind {
  return (METRICS_SINK_KINDS as readonly string[]).includes(value);
}

/** Creates the sink a `METRICS_SINK` value names (none for `none`); throws a `ConfigError` naming an unknown value. */
export function createMetricsSink(kind: 'emf', deps: MetricsSinkDeps): EmfSink;
export function createMetricsSink(kind: 'cloudwatch', deps: MetricsSinkDeps): CloudWatchSink;
export function createMetricsSink(kind: 'prometheus', deps: MetricsSinkDeps): PrometheusSink;
export function createMetricsSink(kind: 'none', deps: MetricsSinkDeps): undefined;
export function createMetricsSink(kind: string, deps: MetricsSinkDeps): MetricsSink | undefined;
export function createMetricsSink(kind: string, deps: MetricsSinkDeps): MetricsSink | undefined {
  if (!isMetricsSinkKind(kind)) {
    throw new ConfigError(`METRICS_SINK must be one of ${METRICS_SINK_KINDS.join(', ')}, got '${kind}'`);
  }
  switch (kind) {
    case 'emf':
      return new EmfSink({
        namespace: metricNamespace(deps.stage),
        write: deps.write,
        onWarning: (message) => deps.onWarning?.(message, {}),
      });
    case 'cloudwatch':
      if (deps.cloudWatchClient === undefined) {
        throw new ConfigError('METRICS_SINK=cloudwatch needs a CloudWatch client, got none');
      }
      return new CloudWatchSink({
        client: deps.cloudWatchClient(),
        namespace: metricNamespace(deps.stage),
        onWarning: deps.onWarning,
      });
    case 'prometheus':
      return new PrometheusSink({ collectDefaultMetrics: deps.collectDefaultMetrics });
    case 'none':
      return undefined;
  }
}
