import { ReservoirSample } from '../../src/handlers/reservoir-sample';

describe('ReservoirSample', () => {
  it('keeps every item while fewer than the sample size arrive', () => {
    const sample = new ReservoirSample<number>(5, () => 0);

    [1, 2, 3].forEach((n) => sample.offer(n));

    expect(sample.values()).toEqual([1, 2, 3]);
  });

  it('never holds more than the sample size', () => {
    const sample = new ReservoirSample<number>(3, () => 0.5);

    for (let n = 0; n < 100; n++) sample.offer(n);

    expect(sample.values()).toHaveLength(3);
  });
});
