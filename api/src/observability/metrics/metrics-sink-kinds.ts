/** The values `METRICS_SINK` accepts: read by the configuration and by the one place that creates a sink. */
export const METRICS_SINK_KINDS = ['emf', 'cloudwatch', 'prometheus', 'none'] as const;

export type MetricsSinkKind = (typeof METRICS_SINK_KINDS)[number];
