/**
 * inbox_polling: producers post 200 events/s while consumers poll the inbox and ack what they get (scenarios.ts).
 * `k6 run -e API_KEY=<key> [-e TARGET_URL=...] [-e RATE=...] [-e DURATION=...] load/scenarios/inbox_polling.ts`
 */
import { k6Script } from './k6-traffic.ts';
import { SCENARIOS } from './scenarios.ts';

const script = k6Script(SCENARIOS.inbox_polling);

export const options = script.options;
export const setup = script.setup;
export const producers = script.iteration('producers');
export const consumers = script.iteration('consumers');
export const handleSummary = script.handleSummary;
