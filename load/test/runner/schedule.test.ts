import { SCENARIOS, type TrafficPart } from '../../scenarios/scenarios';
import { dueTimesMs } from '../../src/runner/schedule';

const constant: TrafficPart = {
  name: 'steady',
  executor: 'constant-arrival-rate',
  rate: 200,
  maxInFlight: 10,
  mix: [{ kind: 'create', weight: 1 }],
  thinkTimeSeconds: 0,
};

describe('dueTimesMs (open-model arrival times)', () => {
  it('spaces a constant rate evenly: rate x duration iterations, 1/rate apart', () => {
    const due = dueTimesMs(constant, 3);
    expect(due).toHaveLength(600);
    expect(due.slice(0, 3)).toEqual([0, 5, 10]);
    expect(due.at(-1)).toBeCloseTo(2995, 6);
  });

  it('integrates a ramp: as many iterations as the area under the rate, denser towards the end', () => {
    const ramp: TrafficPart = {
      ...constant,
      executor: 'ramping-arrival-rate',
      rate: 100,
      stages: [{ target: 300, durationShare: 1 }],
    };
    const due = dueTimesMs(ramp, 10);
    // (100 + 300) / 2 * 10 s = 2,000 iterations
    expect(due.length).toBeGreaterThanOrEqual(1999);
    expect(due.length).toBeLessThanOrEqual(2001);
    const firstSecond = due.filter((t) => t < 1000).length;
    const lastSecond = due.filter((t) => t >= 9000).length;
    expect(firstSecond).toBeGreaterThanOrEqual(105);
    expect(firstSecond).toBeLessThanOrEqual(115);
    expect(lastSecond).toBeGreaterThanOrEqual(285);
    expect(lastSecond).toBeLessThanOrEqual(295);
    expect([...due].sort((a, b) => a - b)).toEqual(due);
  });

  it('gives the stress test ramp its documented peak', () => {
    const [ramp] = SCENARIOS.stress_test.traffic;
    const due = dueTimesMs(ramp, 90);
    const lastSecond = due.filter((t) => t >= 89_000).length;
    expect(lastSecond).toBeGreaterThan(2900);
  });
});
