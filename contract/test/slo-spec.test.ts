import { API_ENDPOINTS } from '../metrics';
import {
  DEFAULT_ALERTING,
  SLO_SPEC,
  alertingPolicy,
  budgetSpentPercent,
  burnRateMinimumRequests,
  latencyErrorBudget,
  suppressionExtensionInMinutes,
  latencyTargetInMillis,
  runbookUrl,
  successRateErrorBudget,
  objectiveEndpoints,
  successRateTargetPercent,
  type SloSpec,
} from '../slo-spec';

describe('the SLO spec', () => {
  describe.each([
    ['POST /v1/events', 100],
    ['GET /v1/inbox', 200],
    ['GET /v1/events/{event_id}', 50],
  ] as const)('latency of %s', (endpoint, target) => {
    it(`targets p95 < ${target} ms by default`, () => {
      expect(latencyTargetInMillis(endpoint)).toBe(target);
      expect(SLO_SPEC.latency.find((objective) => objective.endpoint === endpoint)?.percentile).toBe('p95');
    });
  });

  it('has no latency objective for endpoints the requirements leave out', () => {
    expect(latencyTargetInMillis('GET /v1/health')).toBeUndefined();
    expect(SLO_SPEC.latency).toHaveLength(3);
  });

  it.each(API_ENDPOINTS)('holds %s to a success rate of at least 99.9 %%', (endpoint) => {
    expect(successRateTargetPercent(endpoint)).toBe(99.9);
  });

  it('allows an error rate of at most 0.1 % and asks for 1000 events/s of ingestion on POST /v1/events', () => {
    expect(SLO_SPEC.errorRate).toEqual({ maximumPercent: 0.1 });
    expect(SLO_SPEC.ingestion).toEqual({ endpoint: 'POST /v1/events', minimumEventsPerSecond: 1000 });
  });

  it('names only endpoints the API serves', () => {
    const served: readonly string[] = API_ENDPOINTS;
    for (const endpoint of objectiveEndpoints()) expect(served).toContain(endpoint);
  });

  it('names each endpoint once when listing the endpoints under objectives', () => {
    const endpoints = objectiveEndpoints();
    expect(new Set(endpoints).size).toBe(endpoints.length);
    expect(endpoints).toEqual(expect.arrayContaining([...API_ENDPOINTS]));
  });

  it('reads targets from the spec it is given', () => {
    const spec: SloSpec = {
      ...SLO_SPEC,
      latency: [{ endpoint: 'GET /v1/health', percentile: 'p95', targetInMillis: 5 }],
    };
    expect(latencyTargetInMillis('GET /v1/health', spec)).toBe(5);
    expect(latencyTargetInMillis('POST /v1/events', spec)).toBeUndefined();
  });
});

describe('the alerting policy', () => {
  it('spends the error budget over 30 days, pages at 14.4x (1 h / 5 min) and 6x (6 h / 30 min), tickets at 1x (3 d / 6 h)', () => {
    const policy = alertingPolicy();
    expect(policy.sloPeriodInDays).toBe(30);
    expect(policy.burnRateTiers).toEqual([
      { name: 'fast-burn', severity: 'page', burnFactor: 14.4, longWindowInMinutes: 60, shortWindowInMinutes: 5 },
      { name: 'medium-burn', severity: 'page', burnFactor: 6, longWindowInMinutes: 360, shortWindowInMinutes: 30 },
      { name: 'slow-burn', severity: 'ticket', burnFactor: 1, longWindowInMinutes: 4320, shortWindowInMinutes: 360 },
    ]);
  });

  it('tickets a sustained burn between 1x and 3x, which the faster tiers never see', () => {
    const slowest = alertingPolicy().burnRateTiers.at(-1);
    expect(slowest?.severity).toBe('ticket');
    expect(slowest?.burnFactor).toBeLessThanOrEqual(1);
    expect(budgetSpentPercent(slowest!, alertingPolicy())).toBe(10);
  });

  it('scales the burn-rate guard with the tier so that each alarm rests on at least 5 bad requests', () => {
    const policy = alertingPolicy();
    const [fast, medium, slow] = policy.burnRateTiers;
    expect([fast, medium, slow].map((tier) => burnRateMinimumRequests(tier, 0.001, policy))).toEqual([348, 834, 5000]);
    expect([fast, medium, slow].map((tier) => burnRateMinimumRequests(tier, 0.05, policy))).toEqual([50, 50, 100]);
  });

  it('keeps each slower tier suppressed after recovery for at least its own short window', () => {
    for (const tier of alertingPolicy().burnRateTiers) {
      expect(suppressionExtensionInMinutes(tier)).toBeGreaterThanOrEqual(tier.shortWindowInMinutes);
    }
  });

  it('falls back to the default policy when a spec leaves it out', () => {
    expect(alertingPolicy({ ...SLO_SPEC, alerting: undefined })).toBe(DEFAULT_ALERTING);
  });

  it('gives a p95 objective a 5 % error budget and a 99.9 % success rate a 0.1 % one', () => {
    expect(latencyErrorBudget({ endpoint: 'GET /v1/inbox', percentile: 'p95', targetInMillis: 200 })).toBe(0.05);
    expect(successRateErrorBudget({ endpoint: 'GET /v1/inbox', minimumPercent: 99.9 })).toBe(0.001);
  });

  it('links runbook anchors under the base URL', () => {
    expect(runbookUrl({ ...DEFAULT_ALERTING, runbookBaseUrl: 'https://runbooks.example/api' }, 'latency')).toBe(
      'https://runbooks.example/api#latency',
    );
  });
});
