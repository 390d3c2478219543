/** The SLO table of docs/SLO.md, generated from the spec. */
import { endpointSlug } from '../alarm-naming';
import {
  budgetSpentPercent,
  alertingPolicy,
  latencyErrorBudget,
  objectiveEndpoints,
  successRateErrorBudget,
  type SloSpec,
} from '../slo-spec';

/** The doc holding the table, relative to the repository root. */
export const SLO_DOC_PATH = 'docs/SLO.md';

const ALARM_PREFIX = '<prefix>';

/** Markdown: one row per objective and endpoint, then the burn-rate tiers every budgeted objective gets. */
export function renderSloTable(spec: SloSpec): string {
  const policy = alertingPolicy(spec);
  const { periodInMinutes, evaluationPeriods, datapointsToAlarm } = policy.objectiveAlarms;
  const window = `${datapointsToAlarm} of ${evaluationPeriods} periods of ${periodInMinutes} min`;
  const tierNames = policy.burnRateTiers.map((tier) => tier.name).join(', ');
  const burnTiers = (budget: number): string => `${tierNames} (budget ${formatPercent(budget)})`;

  const rows = [
    ...spec.latency.map((o) => [
      'Latency',
      code(o.endpoint),
      `${o.percentile} < ${o.targetInMillis} ms`,
      `${code(alarmName(`latency-${o.percentile}`, o.endpoint))}: ${o.percentile} > ${o.targetInMillis} ms in ${window}`,
      burnTiers(latencyErrorBudget(o)),
    ]),
    ...spec.successRate.map((o) => [
      'Success rate',
      code(o.endpoint),
      `>= ${o.minimumPercent} % non-5xx`,
      `${code(alarmName('success-rate', o.endpoint))}: < ${o.minimumPercent} % in ${window}`,
      burnTiers(successRateErrorBudget(o)),
    ]),
    ...objectiveEndpoints(spec).map((endpoint) => [
      'Error rate',
      code(endpoint),
      `<= ${spec.errorRate.maximumPercent} % 5xx`,
      `${code(alarmName('error-rate', endpoint))}: > ${spec.errorRate.maximumPercent} % in ${window}`,
      'none',
    ]),
    [
      'Ingestion',
      code(spec.ingestion.endpoint),
      `>= ${spec.ingestion.minimumEventsPerSecond} events/s`,
      'none (dashboard and load test)',
      'none',
    ],
  ];
  const tierRows = policy.burnRateTiers.map((tier) => [
    code(tier.name),
    tier.severity,
    `${tier.burnFactor}x`,
    formatMinutes(tier.longWindowInMinutes),
    formatMinutes(tier.shortWindowInMinutes),
    `${budgetSpentPercent(tier, policy)} %`,
  ]);
  return [
    `Alarm names start with ${code(ALARM_PREFIX)}, \`TriggersApi-<stage>\`.`,
    '',
    markdownTable(['Objective', 'Endpoint', 'Target', 'Alarm', 'Burn-rate tiers'], rows),
    '',
    `Burn-rate tiers over a ${policy.sloPeriodInDays}-day error budget; ` +
      `a window with fewer than ${policy.minimumRequestsPerWindow} requests never fires.`,
    '',
    markdownTable(
      ['Tier', 'Severity', 'Burn factor', 'Long window', 'Short window', 'Budget spent in the long window'],
      tierRows,
    ),
    '',
  ].join('\n');
}

/** A pipe table with its columns padded as prettier aligns them (cells are ASCII, so length is width). */
function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((cell, i) => Math.max(3, cell.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

function alarmName(kind: string, endpoint: string): string {
  return `${ALARM_PREFIX}-${kind}-${endpointSlug(endpoint)}`;
}

function code(text: string): string {
  return `\`${text}\``;
}

/** 0.001 -> `0.1 %`. */
function formatPercent(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(12))} %`;
}

/** 60 -> `1 h`, 1440 -> `1 d`, 30 -> `30 min`. */
function formatMinutes(minutes: number): string {
  if (minutes % 1440 === 0) return `${minutes / 1440} d`;
  if (minutes % 60 === 0) return `${minutes / 60} h`;
  return `${minutes} min`;
}

// Same arithmetic as the composite alarms' descriptions in burn-rate-alarms.ts.
