/**
 * The names the k6 scripts (load/scenarios) record under and the thresholds generated from the SLO spec
 * (monitoring/generate/k6-thresholds.ts) select on. Plain values without imports: k6 loads this file too.
 */

/** The tag each request carries to name its endpoint, e.g. `POST /v1/events`. */
export const ENDPOINT_TAG = 'endpoint';

/** Counter of events accepted, 1 per 201. */
export const EVENTS_ACCEPTED_METRIC = 'events_accepted';
