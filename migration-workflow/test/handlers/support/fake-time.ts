import type { Clock, Sleep } from '../../../src/handlers/write-pacer';

export interface FakeTime {
  now: Clock;
  /** Records each requested pause and advances the clock by it, without waiting. */
  sleep: Sleep;
  readonly pauses: number[];
}

/** A clock that only moves when the code under test asks to sleep, so budgets and pacing are deterministic. */
export function fakeTime(): FakeTime {
  let time = 0;
  const pauses: number[] = [];
  return {
    now: () => time,
    sleep: (ms) => {
      pauses.push(ms);
      time += ms;
      return Promise.resolve();
    },
    pauses,
  };
}
