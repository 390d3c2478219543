declare module 'parse-prometheus-text-format' {
  /** One sample of a counter, gauge or untyped family: its labels and its value as written. */
  export interface PrometheusSample {
    labels?: Record<string, string>;
    value: string;
  }

  /** One metric family of the exposition. */
  export interface PrometheusFamily {
    name: string;
    help: string;
    type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
    metrics: PrometheusSample[];
  }

  /** Parses the Prometheus text exposition format into metric families (prom2json's shape). */
  export default function parsePrometheusTextFormat(text: string): PrometheusFamily[];
}
