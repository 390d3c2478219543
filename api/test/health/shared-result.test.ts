import { sharedResult } from '../../src/health/shared-result';

/** A call whose answers the test releases one by one, counting how often it was made. */
function controlledCall() {
  const pending: ((value: number) => void)[] = [];
  let calls = 0;
  const call = () =>
    new Promise<number>((resolve) => {
      calls += 1;
      pending.push(resolve);
    });
  return { call, calls: () => calls, answer: (value: number) => pending.shift()?.(value) };
}

describe('sharedResult', () => {
  it('makes one call for concurrent callers and gives each its result', async () => {
    const target = controlledCall();
    const shared = sharedResult(target.call, 1000);

    const results = Promise.all(Array.from({ length: 20 }, () => shared()));
    target.answer(7);

    expect(await results).toEqual(Array.from({ length: 20 }, () => 7));
    expect(target.calls()).toBe(1);
  });

  it('reuses a result for its time to live, then calls again', async () => {
    let now = 0;
    const target = controlledCall();
    const shared = sharedResult(target.call, 1000, () => now);

    const first = shared();
    target.answer(1);
    await first;
    now = 999;
    const cached = await shared();
    now = 1000;
    const fresh = shared();
    target.answer(2);

    expect(cached).toBe(1);
    expect(await fresh).toBe(2);
    expect(target.calls()).toBe(2);
  });

  it('does not keep a failure: the next caller calls again', async () => {
    let calls = 0;
    const shared = sharedResult(
      () => (++calls === 1 ? Promise.reject(new Error('down')) : Promise.resolve('up')),
      1000,
    );

    await expect(shared()).rejects.toThrow('down');
    await expect(shared()).resolves.toBe('up');
    expect(calls).toBe(2);
  });
});
