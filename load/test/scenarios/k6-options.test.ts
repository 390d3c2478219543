import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENTS_ACCEPTED_METRIC } from '../../../contract/k6-vocabulary';
import { SLO_SPEC } from '../../../contract/slo-spec';
import { sloKneeLimits } from '../../src/runner/run-scenario';
import {
  COUNTED_STATUSES,
  WINDOW_METRICS,
  WINDOW_TAG,
  ingestionObjectiveRate,
  k6Options,
  kneeLimits,
  windowStartOf,
  windowStarts,
  parseThresholdsFile,
  resolveRun,
  type K6ConstantArrivalRate,
  type K6RampingArrivalRate,
  type ThresholdsFile,
} from '../../scenarios/k6-options';
import { SCENARIOS, SCENARIO_NAMES, type ScenarioSpec } from '../../scenarios/scenarios';

const scenariosDir = join(__dirname, '..', '..', 'scenarios');
const generated = parseThresholdsFile(readFileSync(join(__dirname, '..', '..', 'slo-thresholds.json'), 'utf8'));

function optionsFor(spec: ScenarioSpec, env: Record<string, string> = {}, file: ThresholdsFile = generated) {
  return k6Options(resolveRun(spec, env), file);
}

function constant(spec: ScenarioSpec, part: string, env: Record<string, string> = {}): K6ConstantArrivalRate {
  const scenario = optionsFor(spec, env).scenarios[part];
  if (scenario?.executor !== 'constant-arrival-rate') throw new Error(`${part} is not a constant arrival rate`);
  return scenario;
}

function ramping(spec: ScenarioSpec, part: string, env: Record<string, string> = {}): K6RampingArrivalRate {
  const scenario = optionsFor(spec, env).scenarios[part];
  if (scenario?.executor !== 'ramping-arrival-rate') throw new Error(`${part} is not a ramping arrival rate`);
  return scenario;
}

describe('k6Options', () => {
  describe.each(SCENARIO_NAMES)('%s', (name) => {
    const spec = SCENARIOS[name];
    const options = optionsFor(spec);

    it('has one k6 scenario per traffic part, running the function named after the part', () => {
      expect(Object.keys(options.scenarios)).toEqual(spec.traffic.map((part) => part.name));
      for (const part of spec.traffic) {
        expect(options.scenarios[part.name]).toMatchObject({ executor: part.executor, exec: part.name });
      }
    });

    it('starts with as many VUs as the part has iterations in flight, and never more', () => {
      for (const part of spec.traffic) {
        expect(options.scenarios[part.name]).toMatchObject({
          preAllocatedVUs: part.maxInFlight,
          maxVUs: part.maxInFlight,
        });
      }
    });

    it('keeps only the SLO thresholds of the endpoints the scenario calls', () => {
      const tagged = Object.keys(options.thresholds).filter((metric) => metric.includes('{endpoint:'));
      for (const metric of tagged) {
        expect(spec.endpoints.some((endpoint) => metric.includes(`{endpoint:${endpoint}`))).toBe(true);
      }
      for (const [metric, expressions] of Object.entries(generated.thresholds)) {
        const endpoint = /\{endpoint:(.+)\}$/.exec(metric)?.[1];
        if (endpoint && (spec.endpoints as string[]).includes(endpoint)) {
          expect(options.thresholds[metric]).toEqual(expressions);
        }
      }
      expect(options.thresholds.http_req_failed).toEqual(generated.thresholds.http_req_failed);
    });

    it('declares duration, failure, count and per-status sub-metrics for every endpoint it calls', () => {
      for (const endpoint of spec.endpoints) {
        expect(options.thresholds).toHaveProperty([`http_req_duration{endpoint:${endpoint}}`]);
        expect(options.thresholds).toHaveProperty([`http_req_failed{endpoint:${endpoint}}`]);
        expect(options.thresholds[`http_reqs{endpoint:${endpoint}}`]).toEqual(['count>0']);
        for (const status of COUNTED_STATUSES) {
          expect(options.thresholds[`http_reqs{endpoint:${endpoint},status:${status}}`]).toEqual([]);
        }
      }
    });

    it('fails the run when iterations are dropped', () => {
      expect(options.thresholds.dropped_iterations).toEqual(['count==0']);
    });

    it('declares the per-window sub-metrics of every 5-second window of the run', () => {
      const starts = Array.from({ length: Math.ceil(spec.durationSeconds / 5) }, (_, index) => index * 5);
      for (const start of starts) {
        for (const metric of WINDOW_METRICS) {
          expect(options.thresholds[`${metric}{${WINDOW_TAG}:${start}}`]).toEqual([]);
        }
      }
      expect(options.thresholds).not.toHaveProperty([`http_reqs{${WINDOW_TAG}:${spec.durationSeconds}}`]);
    });

    it('reports p50, p95, p99 and sample counts of trends', () => {
      expect(options.summaryTrendStats).toEqual(expect.arrayContaining(['p(50)', 'p(95)', 'p(99)', 'max', 'count']));
    });

    it('has an entry script exporting a function for each traffic part', () => {
      const source = readFileSync(join(scenariosDir, `${name}.ts`), 'utf8');
      const exported = [...source.matchAll(/export const (\w+) = script\.iteration\('(\w+)'\);/g)];
      expect(exported.map(([, constName]) => constName)).toEqual(spec.traffic.map((part) => part.name));
      for (const [, constName, partName] of exported) expect(partName).toBe(constName);
      expect(source).toContain(`k6Script(SCENARIOS.${name})`);
    });
  });

  it('runs event_ingestion at a constant 1,000 iterations/s for 60 s on up to 500 VUs', () => {
    expect(constant(SCENARIOS.event_ingestion, 'ingest')).toEqual({
      executor: 'constant-arrival-rate',
      exec: 'ingest',
      rate: 1000,
      timeUnit: '1s',
      duration: '60s',
      preAllocatedVUs: 500,
      maxVUs: 500,
    });
  });

  it('ramps stress_test from 200/s to 3,000/s over its whole 90 s', () => {
    expect(ramping(SCENARIOS.stress_test, 'ramp')).toEqual({
      executor: 'ramping-arrival-rate',
      exec: 'ramp',
      startRate: 200,
      timeUnit: '1s',
      stages: [{ target: 3000, duration: '90s' }],
      preAllocatedVUs: 1000,
      maxVUs: 1000,
    });
  });

  it('scales the VUs with a RATE above the scenario’s own', () => {
    expect(constant(SCENARIOS.event_ingestion, 'ingest', { RATE: '2000' })).toMatchObject({
      preAllocatedVUs: 1000,
      maxVUs: 1000,
    });
  });

  it('holds only event_ingestion to the ingestion objective, as a count over the scheduled run', () => {
    expect(optionsFor(SCENARIOS.event_ingestion).thresholds[EVENTS_ACCEPTED_METRIC]).toEqual(['count>=60000']);
    for (const name of ['inbox_polling', 'mixed_workload', 'stress_test'] as const) {
      expect(optionsFor(SCENARIOS[name]).thresholds).not.toHaveProperty([EVENTS_ACCEPTED_METRIC]);
    }
  });

  it('leaves out thresholds of endpoints the scenario never calls', () => {
    const thresholds = optionsFor(SCENARIOS.event_ingestion).thresholds;
    expect(thresholds).not.toHaveProperty(['http_req_duration{endpoint:GET /v1/inbox}']);
    expect(thresholds).not.toHaveProperty(['http_req_failed{endpoint:GET /v1/health}']);
    expect(thresholds).not.toHaveProperty(['http_req_duration{endpoint:GET /v1/events/{event_id}}']);
  });

  it('declares an empty sub-metric for an endpoint without a latency objective', () => {
    const thresholds = optionsFor(SCENARIOS.mixed_workload).thresholds;
    expect(thresholds['http_req_duration{endpoint:POST /v1/events/{event_id}/ack}']).toEqual([]);
    expect(thresholds['http_req_duration{endpoint:GET /v1/inbox}']).toEqual(['p(95)<200']);
  });

  describe('RATE', () => {
    it('sets the primary part’s rate and scales the others by the same factor', () => {
      expect(constant(SCENARIOS.inbox_polling, 'producers', { RATE: '400' }).rate).toBe(400);
      expect(constant(SCENARIOS.inbox_polling, 'consumers', { RATE: '400' }).rate).toBe(20);
    });

    it('expresses a fractional rate as whole iterations per a longer time unit', () => {
      expect(constant(SCENARIOS.inbox_polling, 'consumers', { RATE: '150' })).toMatchObject({
        rate: 75,
        timeUnit: '10s',
      });
    });

    it('scales a ramp so its peak is the rate asked for', () => {
      expect(ramping(SCENARIOS.stress_test, 'ramp', { RATE: '1500' })).toMatchObject({
        startRate: 100,
        stages: [{ target: 1500, duration: '90s' }],
      });
    });

    it('keeps the ingestion objective at a rate at or above it, and never changes it', () => {
      expect(optionsFor(SCENARIOS.event_ingestion, { RATE: '2000' }).thresholds[EVENTS_ACCEPTED_METRIC]).toEqual([
        'count>=60000',
      ]);
    });

    it('leaves the ingestion objective out when the run asks for less than its rate', () => {
      expect(optionsFor(SCENARIOS.event_ingestion, { RATE: '500' }).thresholds).not.toHaveProperty([
        EVENTS_ACCEPTED_METRIC,
      ]);
    });

    it.each(['0', '-5', 'fast'])('rejects %s', (rate) => {
      expect(() => resolveRun(SCENARIOS.event_ingestion, { RATE: rate })).toThrow(`got '${rate}'`);
    });
  });

  describe('DURATION', () => {
    it('sets the duration of constant rates and the ingestion count', () => {
      const options = optionsFor(SCENARIOS.event_ingestion, { DURATION: '2m' });
      expect(options.scenarios.ingest).toMatchObject({ duration: '120s' });
      expect(options.thresholds[EVENTS_ACCEPTED_METRIC]).toEqual(['count>=120000']);
    });

    it('stretches ramp stages by their share of the run', () => {
      const spec: ScenarioSpec = {
        ...SCENARIOS.stress_test,
        traffic: SCENARIOS.stress_test.traffic.map((part) => ({
          ...part,
          stages: [
            { target: 1000, durationShare: 0.25 },
            { target: 3000, durationShare: 0.75 },
          ],
        })),
      };
      expect(ramping(spec, 'ramp', { DURATION: '40s' }).stages).toEqual([
        { target: 1000, duration: '10s' },
        { target: 3000, duration: '30s' },
      ]);
    });

    it('rejects what is not a duration', () => {
      expect(() => resolveRun(SCENARIOS.event_ingestion, { DURATION: 'soon' })).toThrow('Not a duration');
    });
  });

  it('fails when an iteration would call an endpoint the scenario does not list', () => {
    const spec: ScenarioSpec = {
      ...SCENARIOS.event_ingestion,
      traffic: [{ ...SCENARIOS.event_ingestion.traffic[0], mix: [{ kind: 'get', weight: 1 }] }],
    };
    expect(() => resolveRun(spec, {})).toThrow("iteration 'get' calls GET /v1/events/{event_id}");
  });

  it('fails on an ingestion threshold it cannot turn into a count', () => {
    const file = { thresholds: { [EVENTS_ACCEPTED_METRIC]: ['count>5'] } };
    expect(() => optionsFor(SCENARIOS.event_ingestion, {}, file)).toThrow(
      "Unexpected events_accepted threshold 'count>5'",
    );
  });
});

describe('windowStarts and windowStartOf', () => {
  it('cuts a run into 5-second windows, the last one shorter when the run is', () => {
    expect(windowStarts(10)).toEqual([0, 5]);
    expect(windowStarts(12)).toEqual([0, 5, 10]);
    expect(windowStarts(2)).toEqual([0]);
  });

  it.each([
    [0, 0],
    [4999, 0],
    [5000, 5],
    [11_999, 10],
    // k6 starts one more iteration at the very end of a constant rate: it belongs to the last window.
    [12_000, 10],
    [60_000, 10],
  ])('puts %d ms into a 12 s run in the window starting at %d s', (elapsedMs, start) => {
    expect(windowStartOf(elapsedMs, 12)).toBe(start);
  });
});

describe('kneeLimits', () => {
  it('reads the ingestion p95 target and the maximum failure rate from the thresholds, as the SLO spec has them', () => {
    expect(kneeLimits(generated)).toEqual(sloKneeLimits(SLO_SPEC));
  });

  it('names the threshold it cannot find', () => {
    expect(() => kneeLimits({ thresholds: { http_req_failed: ['rate<0.001'] } })).toThrow(
      'http_req_duration{endpoint:POST /v1/events}',
    );
  });
});

describe('ingestionObjectiveRate', () => {
  it('is the rate of the events_accepted threshold', () => {
    expect(ingestionObjectiveRate(generated)).toBe(SLO_SPEC.ingestion.minimumEventsPerSecond);
    expect(ingestionObjectiveRate({ thresholds: {} })).toBeUndefined();
  });
});

describe('parseThresholdsFile', () => {
  it('rejects a file without thresholds', () => {
    expect(() => parseThresholdsFile('{"$comment": "x"}')).toThrow('no "thresholds" object');
  });

  it('rejects thresholds that are not lists of expressions', () => {
    expect(() => parseThresholdsFile('{"thresholds": {"http_req_failed": "rate<0.001"}}')).toThrow('http_req_failed');
  });
});
