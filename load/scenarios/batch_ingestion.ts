/**
 * batch_ingestion: producers post batches of 10 events at a constant 100/s, the ingestion objective through
 * POST /v1/events/batch (scenarios.ts).
 * `k6 run -e API_KEY=<key> [-e TARGET_URL=...] [-e RATE=...] [-e DURATION=...] load/scenarios/batch_ingestion.ts`
 */
import { k6Script } from './k6-traffic.ts';
import { SCENARIOS } from './scenarios.ts';

const script = k6Script(SCENARIOS.batch_ingestion);

export const options = script.options;
export const setup = script.setup;
export const batches = script.iteration('batches');
export const handleSummary = script.handleSummary;
