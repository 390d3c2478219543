/** k6 thresholds generated from the SLO spec, so a load test fails where production would alarm. */
import { ENDPOINT_TAG, EVENTS_ACCEPTED_METRIC } from '../../contract/k6-vocabulary';
import { successRateErrorBudget, type SloSpec } from '../../contract/slo-spec';

/** `printWidth` of the repository's .prettierrc. */
const PRETTIER_PRINT_WIDTH = 120;

/** Where the thresholds file lives, relative to the repository root. */
export const K6_THRESHOLDS_PATH = 'load/slo-thresholds.json';

/** The file's shape: k6 takes `thresholds` as is (`options.thresholds`); the comment stays outside it. */
export interface K6ThresholdsFile {
  readonly $comment: string;
  readonly thresholds: Readonly<Record<string, readonly string[]>>;
}

/** k6 threshold expressions per metric, keys sorted, for every objective of the spec. */
export function k6Thresholds(spec: SloSpec): K6ThresholdsFile {
  const thresholds = new Map<string, string[]>();
  const add = (metric: string, expression: string): void => {
    thresholds.set(metric, [...(thresholds.get(metric) ?? []), expression]);
  };
  for (const objective of spec.latency) {
    add(
      taggedMetric('http_req_duration', objective.endpoint),
      `${k6Percentile(objective.percentile)}<${objective.targetInMillis}`,
    );
  }
  for (const objective of spec.successRate) {
    add(taggedMetric('http_req_failed', objective.endpoint), `rate<${successRateErrorBudget(objective)}`);
  }
  add('http_req_failed', `rate<${percentToRatio(spec.errorRate.maximumPercent)}`);
  add(EVENTS_ACCEPTED_METRIC, `rate>=${spec.ingestion.minimumEventsPerSecond}`);
  return {
    $comment:
      'Generated from monitoring/slo-spec.ts by `npm run slo:generate`; do not edit by hand. ' +
      `Requests are selected by their '${ENDPOINT_TAG}' tag; http_req_failed expects 4xx to count as ` +
      `success (http.setResponseCallback); ${EVENTS_ACCEPTED_METRIC} counts events accepted.`,
    thresholds: Object.fromEntries([...thresholds].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  };
}

/** The thresholds file's text: 2-space JSON with each short array on one line, as prettier prints it. */
export function renderK6Thresholds(spec: SloSpec, printWidth = PRETTIER_PRINT_WIDTH): string {
  const file = k6Thresholds(spec);
  const metrics = Object.entries(file.thresholds);
  const entries = metrics.map(([metric, expressions], index) => {
    const key = `    ${JSON.stringify(metric)}: `;
    const inline = `[${expressions.map((e) => JSON.stringify(e)).join(', ')}]`;
    const comma = index < metrics.length - 1 ? 1 : 0;
    if (key.length + inline.length + comma <= printWidth) return `${key}${inline}`;
    return `${key}[\n${expressions.map((e) => `      ${JSON.stringify(e)}`).join(',\n')}\n    ]`;
  });
  return `{\n  "$comment": ${JSON.stringify(file.$comment)},\n  "thresholds": {\n${entries.join(',\n')}\n  }\n}\n`;
}

/** `http_req_duration{endpoint:POST /v1/events}`: a k6 sub-metric selecting one endpoint's requests. */
function taggedMetric(metric: string, endpoint: string): string {
  return `${metric}{${ENDPOINT_TAG}:${endpoint}}`;
}

/** `p95` -> `p(95)`, k6's percentile aggregation. */
function k6Percentile(percentile: string): string {
  return `p(${percentile.slice(1)})`;
}

// 0.1 / 100 must read 0.001, not a floating-point neighbour.
function percentToRatio(percent: number): number {
  return Number((percent / 100).toPrecision(12));
}
