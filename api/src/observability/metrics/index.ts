export { CloudWatchSink, type CloudWatchSinkOptions } from './cloudwatch-sink';
export { createMetricsSink, isMetricsSinkKind, type MetricsSinkDeps } from './create-metrics-sink';
export { METRICS_SINK_KINDS, type MetricsSinkKind } from './metrics-sink-kinds';
export { EmfSink, type EmfDocument, type EmfSinkOptions } from './emf-sink';
export { MetricsRecorder, type MetricsRecorderOptions } from './metrics-recorder';
export type { MetricsSink, RequestObservation } from './metrics-sink';
export { MetricsPeriod, type EndpointPeriod } from './metrics-period';
export { PrometheusSink, type PrometheusSinkOptions } from './prometheus-sink';
