/**
 * event_ingestion: producers post events at a constant 1,000/s, the ingestion objective (scenarios.ts).
 * `k6 run -e API_KEY=<key> [-e TARGET_URL=...] [-e RATE=...] [-e DURATION=...] load/scenarios/event_ingestion.ts`
 */
import { k6Script } from './k6-traffic.ts';
import { SCENARIOS } from './scenarios.ts';

const script = k6Script(SCENARIOS.event_ingestion);

export const options = script.options;
export const setup = script.setup;
export const ingest = script.iteration('ingest');
export const handleSummary = script.handleSummary;
