/** The SLO table of docs/SLO.md, generated from the spec. */
import { endpointSlug } from '../alarm-naming';
import {
  budgetSpentPercent,
  alertingPolicy,
  burnRateMinimumRequests,
  latencyErrorBudget,
  successRateErrorBudget,
  suppressionExtensionInMinutes,
  type SloSpec,
} from '../../contract/slo-spec';

/** The doc holding the table, relative to the repository root. */
export const SLO_DOC_PATH = 'docs/SLO.md';

const ALARM_PREFIX = '<prefix>';

/** The budgets the tier table shows guards for: a 99.9 % success rate and a p95 latency objective. */
const SUCCESS_RATE_BUDGET = 0.001;
const LATENCY_BUDGET = 0.05;

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
    [
      'Error rate',
      'all endpoints together',
      `<= ${spec.errorRate.maximumPercent} % 5xx`,
      `${code(`${ALARM_PREFIX}-error-rate-all-endpoints`)}: > ${spec.errorRate.maximumPercent} % in ${window}`,
      'none (the success-rate tiers burn the same 5xx)',
    ],
    [
      'Ingestion',
      code(spec.ingestion.endpoint),
      `>= ${spec.ingestion.minimumEventsPerSecond} events/s`,
      `${code(`${ALARM_PREFIX}-ingestion-absent`)}: no event accepted in ${window} (missing data breaches)`,
      'none',
    ],
  ];
  const tierRows = policy.burnRateTiers.map((tier, index) => [
    code(tier.name),
    tier.severity,
    `${tier.burnFactor}x`,
    formatMinutes(tier.longWindowInMinutes),
    formatMinutes(tier.shortWindowInMinutes),
    `${budgetSpentPercent(tier, policy)} %`,
    `${burnRateMinimumRequests(tier, SUCCESS_RATE_BUDGET, policy)} / ${burnRateMinimumRequests(tier, LATENCY_BUDGET, policy)}`,
    index === 0 ? 'never suppressed' : formatMinutes(suppressionExtensionInMinutes(tier)),
  ]);
  return [
    `Alarm names start with ${code(ALARM_PREFIX)}, \`TriggersApi-<stage>\`.`,
    '',
    markdownTable(['Objective', 'Endpoint', 'Target', 'Alarm', 'Burn-rate tiers'], rows),
    '',
    `Objective alarms open tickets; a period with fewer than ${policy.objectiveAlarms.minimumRequestsPerPeriod} ` +
      'requests does not count towards them (the burn-rate tiers cover quiet hours).',
    '',
    `Burn-rate tiers over a ${policy.sloPeriodInDays}-day error budget. A window fires only when it holds ` +
      `enough requests that crossing the tier's factor takes at least ${policy.minimumBadRequestsPerWindow} bad ` +
      `ones, and never with fewer than ${policy.minimumRequestsPerWindow} requests; the requests needed are ` +
      'given for a 0.1 % and a 5 % budget (99.9 % success, p95 latency). A slower tier is suppressed while a ' +
      'faster one fires and for the time given after it recovers.',
    '',
    markdownTable(
      [
        'Tier',
        'Severity',
        'Burn factor',
        'Long window',
        'Short window',
        'Budget spent in the long window',
        'Requests per window (0.1 % / 5 %)',
        'Suppressed after recovery',
      ],
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

/** 60 -> `1 h`, 1440 -> `1 d`, 30 -> `30 min`, 365 -> `6 h 5 min`. */
function formatMinutes(minutes: number): string {
  if (minutes % 1440 === 0) return `${minutes / 1440} d`;
  if (minutes % 60 === 0) return `${minutes / 60} h`;
  if (minutes > 60) return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  return `${minutes} min`;
}

// Same arithmetic as the composite alarms' descriptions in burn-rate-alarms.ts.
