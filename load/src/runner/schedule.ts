import { rateAt, type TrafficPart } from '../../scenarios/scenarios';

/** Integration step of ramping rates, in seconds. */
const STEP_SECONDS = 0.001;

/**
 * When each iteration of a traffic part is due, in milliseconds from the start of the run: the open
 * model's arrival times, fixed before the run whatever the server does. A constant rate gives
 * `i / rate`; a ramp is integrated in 1 ms steps (iteration n is due when the integral reaches n).
 */
export function dueTimesMs(part: TrafficPart, durationSeconds: number): number[] {
  const due: number[] = [];
  if (!part.stages) {
    const count = Math.floor(part.rate * durationSeconds);
    for (let i = 0; i < count; i++) due.push((i * 1000) / part.rate);
    return due;
  }
  let arrived = 0;
  for (let t = 0; t < durationSeconds; t += STEP_SECONDS) {
    const before = arrived;
    arrived += rateAt(part, t, durationSeconds) * STEP_SECONDS;
    // An iteration is due at the start of the step in which the integral passes a whole number.
    for (let n = Math.ceil(before); n < arrived; n++) due.push(t * 1000);
  }
  return due;
}
