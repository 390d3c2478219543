import { performance } from 'node:perf_hooks';
import { runOpenModel } from '../open-model';

describe('runOpenModel', () => {
  it('starts every iteration in order, none before it is due, and resolves once all have settled', async () => {
    const dueTimesMs = [0, 5, 5, 20, 40];
    const started: { index: number; lateMs: number; dueAt: number }[] = [];
    const settled: number[] = [];
    const origin = performance.now();

    await runOpenModel({
      startedAt: origin,
      dueTimesMs,
      start: (index, dueAt) => {
        started.push({ index, lateMs: performance.now() - dueAt, dueAt });
        return new Promise<void>((resolve) => setTimeout(resolve, 30)).then(() => {
          settled.push(index);
        });
      },
    });

    expect(started.map((s) => s.index)).toEqual([0, 1, 2, 3, 4]);
    expect(started.map((s) => Math.round((s.dueAt - origin) * 1000) / 1000)).toEqual(dueTimesMs);
    expect(started.every((s) => s.lateMs >= 0)).toBe(true);
    expect([...settled].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('starts the next iteration while earlier ones are still running (open model, not closed)', async () => {
    let inFlightAtLastStart = 0;
    let inFlight = 0;

    await runOpenModel({
      dueTimesMs: [0, 1, 2, 3],
      start: () => {
        inFlight += 1;
        inFlightAtLastStart = inFlight;
        return new Promise<void>((resolve) => setTimeout(resolve, 50)).then(() => {
          inFlight -= 1;
        });
      },
    });

    expect(inFlightAtLastStart).toBe(4);
    expect(inFlight).toBe(0);
  });

  it('does not wait for iterations the caller drops, and reports ticks with what is in flight', async () => {
    const ticks: number[] = [];

    await runOpenModel({
      dueTimesMs: [0, 0, 10],
      start: (index) => (index === 1 ? undefined : new Promise<void>((resolve) => setTimeout(resolve, 5))),
      onTick: (_elapsed, inFlight) => ticks.push(inFlight),
    });

    expect(ticks.length).toBeGreaterThan(0);
    expect(Math.max(...ticks)).toBe(1);
  });
});
