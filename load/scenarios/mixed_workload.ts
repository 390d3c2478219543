/**
 * mixed_workload: clients create, poll, ack and delete with think time (scenarios.ts).
 * `k6 run -e API_KEY=<key> [-e TARGET_URL=...] [-e RATE=...] [-e DURATION=...] load/scenarios/mixed_workload.ts`
 */
import { k6Script } from './k6-traffic.ts';
import { SCENARIOS } from './scenarios.ts';

const script = k6Script(SCENARIOS.mixed_workload);

export const options = script.options;
export const setup = script.setup;
export const clients = script.iteration('clients');
export const handleSummary = script.handleSummary;
