/**
 * The k6 side of the scenarios: the iteration kinds of scenarios.ts over k6/http (as the local runner's
 * load/src/runner/traffic.ts does them), a readiness check for setup(), and handleSummary. Each entry
 * script builds one {@link K6Script} and exports its parts. Runs only in k6.
 *
 * Environment: TARGET_URL (default http://127.0.0.1:8080, where `npm start` serves), API_KEY
 * (required), RATE, DURATION, SUMMARY_FILE, LOAD_MACHINE_CLASS (recorded in the summary).
 */
import { check, fail, sleep } from 'k6';
import exec from 'k6/execution';
import http, { type Params } from 'k6/http';
import { Counter } from 'k6/metrics';
import type { Options } from 'k6/options';
import type { ApiEndpoint } from '../../contract/metrics';
import { ENDPOINT_TAG, EVENTS_ACCEPTED_METRIC } from '../../contract/k6-vocabulary.ts';
import { WINDOW_TAG, k6Options, kneeLimits, parseThresholdsFile, resolveRun, windowStartOf } from './k6-options.ts';
import { summaryFiles, type K6SummaryData } from './k6-summary.ts';
import {
  batchBody,
  CREATED_EVENTS_REMEMBERED,
  DEFAULT_BATCH_SIZE,
  DEFAULT_INBOX_LIMIT,
  eventBody,
  pickIteration,
  type IterationKind,
  type ScenarioSpec,
  type TrafficPart,
} from './scenarios.ts';

const DEFAULT_TARGET_URL = 'http://127.0.0.1:8080';

/**
 * Only a 5xx or no response fails a request (`http_req_failed`): a 4xx such as 409 "already
 * acknowledged" is the API answering correctly, which is also how the SLO counts.
 */
http.setResponseCallback(http.expectedStatuses({ min: 200, max: 499 }));

// Custom metrics must be created in the init context.
const eventsAccepted = new Counter(EVENTS_ACCEPTED_METRIC);

// Each VU runs its own copy of this module, so this state is per VU.
let sequence = 0;
const created: string[] = [];

/** What an entry script exports: options, setup, one function per traffic part, handleSummary. */
export interface K6Script {
  options: Options;
  setup: () => void;
  /** The function k6 runs for each iteration of the named traffic part (its `exec`). */
  iteration: (partName: string) => () => void;
  handleSummary: (data: K6SummaryData) => Record<string, string>;
}

/** Builds a scenario's script from the environment; throws in the init context when it cannot run. */
export function k6Script(spec: ScenarioSpec): K6Script {
  const run = resolveRun(spec, __ENV);
  const targetUrl = (__ENV.TARGET_URL || DEFAULT_TARGET_URL).replace(/\/+$/, '');
  const apiKey = __ENV.API_KEY;
  if (!apiKey) throw new Error('API_KEY is not set: run k6 with -e API_KEY=<key> (`npm run keys` creates one)');
  const api = apiClient(targetUrl, apiKey);
  // Relative to this file, which sits next to the entry scripts: k6 resolves open() from the entry
  // script's directory today and from the calling module's in future versions, the same directory here.
  const thresholds = parseThresholdsFile(open('../slo-thresholds.json'));
  return {
    options: k6Options(run, thresholds),
    setup: () => api.checkReady(),
    iteration: (partName) => {
      const part = run.spec.traffic.find((p) => p.name === partName);
      if (!part) throw new Error(`Scenario ${spec.name} has no traffic part '${partName}'`);
      return () => iterate(api, part, run.durationSeconds);
    },
    handleSummary: (data) =>
      summaryFiles(
        data,
        {
          run,
          target: targetUrl,
          endedAt: new Date(),
          kneeLimits: kneeLimits(thresholds),
          ...(__ENV.LOAD_MACHINE_CLASS && { machineClass: __ENV.LOAD_MACHINE_CLASS }),
        },
        __ENV,
      ),
  };
}

function iterate(api: ApiClient, part: TrafficPart, durationSeconds: number): void {
  // Every metric this iteration emits (requests, the iteration, events accepted) carries its window, so
  // the end-of-test data has per-window figures: the timeline and the knee (k6-summary.ts).
  const windowStart = windowStartOf(Date.now() - exec.scenario.startTime, durationSeconds);
  exec.vu.metrics.tags[WINDOW_TAG] = String(windowStart);
  runIteration(
    api,
    pickIteration(part.mix, Math.random()),
    part.inboxLimit ?? DEFAULT_INBOX_LIMIT,
    part.batchSize ?? DEFAULT_BATCH_SIZE,
  );
  if (part.thinkTimeSeconds > 0) sleep(part.thinkTimeSeconds);
}

function runIteration(api: ApiClient, kind: IterationKind, inboxLimit: number, batchSize: number): void {
  switch (kind) {
    case 'create':
      remember(api.create(sequence++));
      return;
    case 'create-batch':
      for (const id of api.createBatch(sequence, batchSize)) remember(id);
      sequence += batchSize;
      return;
    case 'poll':
      api.poll(inboxLimit);
      return;
    case 'poll-and-ack':
      for (const id of api.poll(inboxLimit)) api.ack(id);
      return;
    case 'ack':
    case 'delete':
    case 'get': {
      const id = kind === 'get' ? created[created.length - 1] : created.pop();
      if (id === undefined) remember(api.create(sequence++));
      else if (kind === 'ack') api.ack(id);
      else if (kind === 'delete') api.remove(id);
      else api.get(id);
      return;
    }
  }
}

function remember(id: string | undefined): void {
  if (id === undefined) return;
  created.push(id);
  if (created.length > CREATED_EVENTS_REMEMBERED) created.shift();
}

type ApiClient = ReturnType<typeof apiClient>;

/** The API's endpoints as k6 requests, each tagged with its endpoint and named by its URL template. */
function apiClient(targetUrl: string, apiKey: string) {
  const params = (endpoint: ApiEndpoint, withJsonBody = false): Params => ({
    headers: withJsonBody ? { 'X-API-Key': apiKey, 'Content-Type': 'application/json' } : { 'X-API-Key': apiKey },
    // `name` replaces the URL, so ids in paths do not make one time series per event.
    tags: { [ENDPOINT_TAG]: endpoint, name: `${targetUrl}${endpoint.slice(endpoint.indexOf(' ') + 1)}` },
  });
  const create = params('POST /v1/events', true);
  const createBatch = params('POST /v1/events/batch', true);
  const inbox = params('GET /v1/inbox');
  const ack = params('POST /v1/events/{event_id}/ack');
  const remove = params('DELETE /v1/events/{event_id}');
  const get = params('GET /v1/events/{event_id}');
  const eventUrl = (id: string): string => `${targetUrl}/v1/events/${encodeURIComponent(id)}`;

  return {
    /** Posts the `n`-th event of this VU; the new event's id when it was accepted. */
    create(n: number): string | undefined {
      const res = http.post(`${targetUrl}/v1/events`, eventBody(n), create);
      const body = jsonBody(res);
      const id = res.status === 201 && typeof body?.event_id === 'string' ? body.event_id : undefined;
      if (res.status === 201) eventsAccepted.add(1);
      check(res, { 'create: 201 with an event_id': () => id !== undefined });
      return id;
    },
    /** Posts `size` events from this VU's `first`-th in one batch; the ids of the events it created. */
    createBatch(first: number, size: number): string[] {
      const res = http.post(`${targetUrl}/v1/events/batch`, batchBody(first, size), createBatch);
      const results = res.status === 200 || res.status === 503 ? jsonBody(res)?.results : undefined;
      const ids = Array.isArray(results)
        ? results.flatMap((r) =>
            isRecord(r) && r.status === 201 && typeof r.event_id === 'string' ? [r.event_id] : [],
          )
        : [];
      if (ids.length > 0) eventsAccepted.add(ids.length);
      check(res, { 'create-batch: 200 with every event created': () => res.status === 200 && ids.length === size });
      return ids;
    },
    /** Ids of the pending events of one inbox page. */
    poll(limit: number): string[] {
      const res = http.get(`${targetUrl}/v1/inbox?limit=${limit}`, inbox);
      const events = res.status === 200 ? jsonBody(res)?.events : undefined;
      const ids = Array.isArray(events)
        ? events.flatMap((e) => (isRecord(e) && typeof e.event_id === 'string' ? [e.event_id] : []))
        : [];
      check(res, { 'inbox: 200 with at most `limit` events': () => Array.isArray(events) && events.length <= limit });
      return ids;
    },
    ack(id: string): void {
      const res = http.post(`${eventUrl(id)}/ack`, null, ack);
      check(res, {
        'ack: acknowledged, or 409 when another consumer was first': () =>
          (res.status === 200 && jsonBody(res)?.status === 'acknowledged') || res.status === 409,
      });
    },
    remove(id: string): void {
      const res = http.del(eventUrl(id), null, remove);
      check(res, { 'delete: 200': () => res.status === 200 });
    },
    get(id: string): void {
      const res = http.get(eventUrl(id), get);
      check(res, { 'get: 200 with the event asked for': () => res.status === 200 && jsonBody(res)?.event_id === id });
    },
    /** Fails setup() unless the API answers and accepts the key, rather than measuring a run of 401s. */
    checkReady(): void {
      const setupTags = { [ENDPOINT_TAG]: 'setup' };
      const health = http.get(`${targetUrl}/v1/health`, { tags: setupTags });
      if (health.status !== 200) {
        fail(`GET ${targetUrl}/v1/health answered ${health.status || 'nothing'}: is the API running at TARGET_URL?`);
      }
      const probe = http.get(`${targetUrl}/v1/inbox?limit=1`, { headers: { 'X-API-Key': apiKey }, tags: setupTags });
      if (probe.status === 401) fail('The API rejected API_KEY (401): `npm run keys` creates a key');
      if (probe.status !== 200) fail(`GET ${targetUrl}/v1/inbox answered ${probe.status || 'nothing'} in setup()`);
    },
  };
}

/** The response body as a JSON object, or undefined when it is not one. */
function jsonBody(res: { body: unknown }): Record<string, unknown> | undefined {
  if (typeof res.body !== 'string') return undefined;
  try {
    const parsed = JSON.parse(res.body) as unknown;
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
