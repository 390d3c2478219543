/**
 * stress_test: creates ramp from 200/s to 3,000/s, past capacity (scenarios.ts). The SLO thresholds are
 * expected to fail once the API saturates; the gate is the summary's knee, the first 5-second window over
 * a limit (k6-summary.ts).
 * `k6 run -e API_KEY=<key> [-e TARGET_URL=...] [-e RATE=...] [-e DURATION=...] load/scenarios/stress_test.ts`
 */
import { k6Script } from './k6-traffic.ts';
import { SCENARIOS } from './scenarios.ts';

const script = k6Script(SCENARIOS.stress_test);

export const options = script.options;
export const setup = script.setup;
export const ramp = script.iteration('ramp');
export const handleSummary = script.handleSummary;
