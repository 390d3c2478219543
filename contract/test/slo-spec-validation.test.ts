import { DEFAULT_ALERTING, SLO_SPEC, type SloSpec } from '../slo-spec';
import { InvalidSloSpecError, validateSloSpec } from '../slo-spec-validation';

function problemsOf(spec: SloSpec): readonly string[] {
  try {
    validateSloSpec(spec);
    return [];
  } catch (error) {
    if (error instanceof InvalidSloSpecError) return error.problems;
    throw error;
  }
}

describe('validateSloSpec', () => {
  it('accepts the default spec', () => {
    expect(() => validateSloSpec(SLO_SPEC)).not.toThrow();
  });

  it('accepts a spec that leaves the alerting policy to its default', () => {
    expect(() => validateSloSpec({ ...SLO_SPEC, alerting: undefined })).not.toThrow();
  });

  it('fails when an objective names an endpoint the API does not serve, naming it and the served ones', () => {
    // The type forbids it; a spec built from JSON or a cast can still carry one.
    const spec = {
      ...SLO_SPEC,
      latency: [{ endpoint: 'GET /v1/nowhere', percentile: 'p95', targetInMillis: 10 }],
    } as unknown as SloSpec;

    expect(problemsOf(spec)).toEqual([
      expect.stringMatching(
        /^latency: endpoint 'GET \/v1\/nowhere' is not served by the API; expected one of GET \/v1\/health, /,
      ),
    ]);
  });

  it('fails when an endpoint has two latency objectives', () => {
    const spec: SloSpec = {
      ...SLO_SPEC,
      latency: [
        { endpoint: 'GET /v1/inbox', percentile: 'p95', targetInMillis: 200 },
        { endpoint: 'GET /v1/inbox', percentile: 'p95', targetInMillis: 300 },
      ],
    };
    expect(problemsOf(spec)).toEqual(["latency: 'GET /v1/inbox' appears more than once; expected each at most once"]);
  });

  it.each([
    [
      'a latency target of 0 ms',
      { latency: [{ endpoint: 'GET /v1/inbox', percentile: 'p95', targetInMillis: 0 }] },
      'latency of GET /v1/inbox: targetInMillis must be in (0, 60000]; got 0',
    ],
    [
      'a success rate of 100 %',
      { successRate: [{ endpoint: 'GET /v1/inbox', minimumPercent: 100 }] },
      'successRate of GET /v1/inbox: minimumPercent must be in (0, 100); got 100',
    ],
    [
      'a negative error rate',
      { errorRate: { maximumPercent: -1 } },
      'errorRate: maximumPercent must be in (0, 100); got -1',
    ],
    [
      'no ingestion throughput',
      { ingestion: { endpoint: 'POST /v1/events', minimumEventsPerSecond: 0 } },
      'ingestion: minimumEventsPerSecond must be above 0; got 0',
    ],
  ] as const)('fails on %s, naming the value received and the range expected', (_case, change, message) => {
    expect(problemsOf({ ...SLO_SPEC, ...change })).toEqual([message]);
  });

  it.each([
    [
      'a runbook link that is not https',
      { runbookBaseUrl: 'http://wiki/runbook' },
      "alerting: runbookBaseUrl must be an https URL; got 'http://wiki/runbook'",
    ],
    [
      'a fractional low-traffic guard',
      { minimumRequestsPerWindow: 0.5 },
      'alerting: minimumRequestsPerWindow must be a whole number of at least 1; got 0.5',
    ],
    [
      'objective alarms looking back more than a day at a sub-hour period',
      {
        objectiveAlarms: {
          periodInMinutes: 5,
          evaluationPeriods: 300,
          datapointsToAlarm: 3,
          minimumRequestsPerPeriod: 100,
        },
      },
      'alerting.objectiveAlarms: period x evaluation periods must be at most 1440 minutes; got 1500',
    ],
    [
      'more datapoints to alarm than periods evaluated',
      {
        objectiveAlarms: {
          periodInMinutes: 5,
          evaluationPeriods: 3,
          datapointsToAlarm: 4,
          minimumRequestsPerPeriod: 100,
        },
      },
      'alerting.objectiveAlarms: datapointsToAlarm must be a whole number in [1, 3]; got 4',
    ],
  ] as const)('fails on %s', (_case, change, message) => {
    expect(problemsOf({ ...SLO_SPEC, alerting: { ...DEFAULT_ALERTING, ...change } })).toEqual([message]);
  });

  it('fails when burn-rate tiers are not listed fastest first', () => {
    const [fast, medium, slow] = DEFAULT_ALERTING.burnRateTiers;
    const spec: SloSpec = { ...SLO_SPEC, alerting: { ...DEFAULT_ALERTING, burnRateTiers: [medium, fast, slow] } };

    expect(problemsOf(spec)).toEqual([
      "alerting.burnRateTiers 'fast-burn': tiers must be listed fastest first; burnFactor must be below 6 ('medium-burn'); got 14.4",
    ]);
  });

  it('fails when a tier has a short window no shorter than its long one, or a duplicate name', () => {
    const [fast] = DEFAULT_ALERTING.burnRateTiers;
    const tier = { ...fast, burnFactor: 2, shortWindowInMinutes: 60 };
    const spec: SloSpec = { ...SLO_SPEC, alerting: { ...DEFAULT_ALERTING, burnRateTiers: [fast, tier] } };

    expect(problemsOf(spec)).toEqual([
      "alerting.burnRateTiers: 'fast-burn' appears more than once; expected each at most once",
      "alerting.burnRateTiers 'fast-burn': shortWindowInMinutes must be below longWindowInMinutes (60); got 60",
    ]);
  });

  it('reports every problem at once in the error message', () => {
    const spec: SloSpec = {
      ...SLO_SPEC,
      errorRate: { maximumPercent: 0 },
      ingestion: { ...SLO_SPEC.ingestion, minimumEventsPerSecond: -5 },
    };
    expect(() => validateSloSpec(spec)).toThrow(
      'Invalid SLO spec:\n- errorRate: maximumPercent must be in (0, 100); got 0\n- ingestion: minimumEventsPerSecond must be above 0; got -5',
    );
  });
});
