export { CloudWatchSink, type CloudWatchSinkOptions } from './cloudwatch-sink';
export {
  createMetricsSink,
  isMetricsSinkKind,
  METRICS_SINK_KINDS,
  type MetricsSinkDeps,
  type MetricsSinkKind,
} from './create-metrics-sink';
export { EmfSink, type EmfDocument, type EmfSinkOptions } from './emf-sink';
export { MetricsRecorder, type MetricsRecorderOptions } from './metrics-recorder';
export type { MetricsSink, RequestObservation } from './metrics-sink';
export { NoopSink } from './noop-sink';
export { PrometheusSink, type PrometheusSinkOptions } from './prometheus-sink';
