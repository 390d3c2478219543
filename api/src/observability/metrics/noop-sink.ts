import type { MetricsSink } from './metrics-sink';

/** A sink that discards everything: `METRICS_SINK=none`, and tests that need no metrics. */
export class NoopSink implements MetricsSink {
  record(): void {}

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
