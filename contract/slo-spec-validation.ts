/** Checks of an SLO spec's values that its types cannot express; run at synth and in tests. */
import { API_ENDPOINTS } from './metrics';
import { alertingPolicy, type AlertingPolicy, type SloSpec } from './slo-spec';

/** CloudWatch: sub-hour periods may look back at most 1 day (period x evaluation periods). */
const SUB_HOUR_LOOKBACK_LIMIT_IN_MINUTES = 24 * 60;
/** CloudWatch: periods of an hour or more may look back at most 7 days. */
const LOOKBACK_LIMIT_IN_MINUTES = 7 * 24 * 60;

/** Thrown with every problem found, one per line. */
export class InvalidSloSpecError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid SLO spec:\n- ${problems.join('\n- ')}`);
    this.name = 'InvalidSloSpecError';
  }
}

/** Throws {@link InvalidSloSpecError} naming each value out of range, duplicated or unknown. */
export function validateSloSpec(spec: SloSpec): void {
  const problems = [...objectiveProblems(spec), ...alertingProblems(alertingPolicy(spec))];
  if (problems.length > 0) throw new InvalidSloSpecError(problems);
}

function objectiveProblems(spec: SloSpec): string[] {
  const problems: string[] = [];
  const served: readonly string[] = API_ENDPOINTS;
  const named = [
    ...spec.latency.map((o) => ['latency', o.endpoint] as const),
    ...spec.successRate.map((o) => ['successRate', o.endpoint] as const),
    ['ingestion', spec.ingestion.endpoint] as const,
  ];
  for (const [section, endpoint] of named) {
    if (!served.includes(endpoint)) {
      problems.push(
        `${section}: endpoint '${endpoint}' is not served by the API; expected one of ${served.join(', ')}`,
      );
    }
  }
  problems.push(
    ...duplicates(
      'latency',
      spec.latency.map((o) => o.endpoint),
    ),
  );
  problems.push(
    ...duplicates(
      'successRate',
      spec.successRate.map((o) => o.endpoint),
    ),
  );
  for (const o of spec.latency) {
    if (!(o.targetInMillis > 0 && o.targetInMillis <= 60_000)) {
      problems.push(`latency of ${o.endpoint}: targetInMillis must be in (0, 60000]; got ${o.targetInMillis}`);
    }
  }
  for (const o of spec.successRate) {
    if (!(o.minimumPercent > 0 && o.minimumPercent < 100)) {
      problems.push(`successRate of ${o.endpoint}: minimumPercent must be in (0, 100); got ${o.minimumPercent}`);
    }
  }
  const { maximumPercent } = spec.errorRate;
  if (!(maximumPercent > 0 && maximumPercent < 100)) {
    problems.push(`errorRate: maximumPercent must be in (0, 100); got ${maximumPercent}`);
  }
  const { minimumEventsPerSecond } = spec.ingestion;
  if (!(minimumEventsPerSecond > 0)) {
    problems.push(`ingestion: minimumEventsPerSecond must be above 0; got ${minimumEventsPerSecond}`);
  }
  return problems;
}

function alertingProblems(policy: AlertingPolicy): string[] {
  const problems: string[] = [];
  if (!(Number.isInteger(policy.sloPeriodInDays) && policy.sloPeriodInDays >= 1 && policy.sloPeriodInDays <= 90)) {
    problems.push(`alerting: sloPeriodInDays must be a whole number in [1, 90]; got ${policy.sloPeriodInDays}`);
  }
  if (!/^https:\/\/\S+$/.test(policy.runbookBaseUrl)) {
    problems.push(`alerting: runbookBaseUrl must be an https URL; got '${policy.runbookBaseUrl}'`);
  }
  if (!(Number.isInteger(policy.minimumRequestsPerWindow) && policy.minimumRequestsPerWindow >= 1)) {
    problems.push(
      `alerting: minimumRequestsPerWindow must be a whole number of at least 1; got ${policy.minimumRequestsPerWindow}`,
    );
  }
  problems.push(...wholeAtLeastOne('alerting: minimumBadRequestsPerWindow', policy.minimumBadRequestsPerWindow));
  const { periodInMinutes, evaluationPeriods, datapointsToAlarm, minimumRequestsPerPeriod } = policy.objectiveAlarms;
  problems.push(...wholeAtLeastOne('alerting.objectiveAlarms: minimumRequestsPerPeriod', minimumRequestsPerPeriod));
  problems.push(...periodProblems('alerting.objectiveAlarms', periodInMinutes, evaluationPeriods));
  if (!(Number.isInteger(datapointsToAlarm) && datapointsToAlarm >= 1 && datapointsToAlarm <= evaluationPeriods)) {
    problems.push(
      `alerting.objectiveAlarms: datapointsToAlarm must be a whole number in [1, ${evaluationPeriods}]; got ${datapointsToAlarm}`,
    );
  }
  problems.push(
    ...duplicates(
      'alerting.burnRateTiers',
      policy.burnRateTiers.map((t) => t.name),
    ),
  );
  policy.burnRateTiers.forEach((tier, index) => {
    const where = `alerting.burnRateTiers '${tier.name}'`;
    if (!/^[a-z][a-z0-9-]*$/.test(tier.name)) problems.push(`${where}: name must be kebab-case; got '${tier.name}'`);
    if (!(tier.burnFactor > 0)) problems.push(`${where}: burnFactor must be above 0; got ${tier.burnFactor}`);
    problems.push(...periodProblems(`${where} long window`, tier.longWindowInMinutes, 1));
    problems.push(...periodProblems(`${where} short window`, tier.shortWindowInMinutes, 1));
    if (!(tier.shortWindowInMinutes < tier.longWindowInMinutes)) {
      problems.push(
        `${where}: shortWindowInMinutes must be below longWindowInMinutes (${tier.longWindowInMinutes}); got ${tier.shortWindowInMinutes}`,
      );
    }
    const faster = policy.burnRateTiers[index - 1];
    if (faster && !(tier.burnFactor < faster.burnFactor)) {
      problems.push(
        `${where}: tiers must be listed fastest first; burnFactor must be below ${faster.burnFactor} ('${faster.name}'); got ${tier.burnFactor}`,
      );
    }
  });
  return problems;
}

/** A CloudWatch alarm period in whole minutes, within the lookback limits for its length. */
function periodProblems(where: string, periodInMinutes: number, evaluationPeriods: number): string[] {
  if (!(Number.isInteger(periodInMinutes) && periodInMinutes >= 1)) {
    return [`${where}: period must be a whole number of minutes of at least 1; got ${periodInMinutes}`];
  }
  if (!(Number.isInteger(evaluationPeriods) && evaluationPeriods >= 1)) {
    return [`${where}: evaluationPeriods must be a whole number of at least 1; got ${evaluationPeriods}`];
  }
  const limit = periodInMinutes < 60 ? SUB_HOUR_LOOKBACK_LIMIT_IN_MINUTES : LOOKBACK_LIMIT_IN_MINUTES;
  const lookback = periodInMinutes * evaluationPeriods;
  return lookback <= limit
    ? []
    : [`${where}: period x evaluation periods must be at most ${limit} minutes; got ${lookback}`];
}

function wholeAtLeastOne(where: string, value: number): string[] {
  return Number.isInteger(value) && value >= 1 ? [] : [`${where} must be a whole number of at least 1; got ${value}`];
}

function duplicates(where: string, values: readonly string[]): string[] {
  const seen = new Set<string>();
  const repeated = new Set(values.filter((value) => seen.size === seen.add(value).size));
  return [...repeated].map((value) => `${where}: '${value}' appears more than once; expected each at most once`);
}
