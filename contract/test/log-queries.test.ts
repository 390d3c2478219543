import { LOGS_INSIGHTS_QUERIES, requestTrailQuery } from '../log-queries';
import { captureLogger, type CapturedLogger } from '../../tooling/captured-logger';
import type { FaultProxy } from '../../tooling/fault-proxy';
import { eventBody, startTestApiBehindProxy, type TestApi } from '../../tooling/test-api';

describe('Logs Insights queries against the log lines the API really writes', () => {
  let api: TestApi;
  let proxy!: FaultProxy;
  let log: CapturedLogger;

  beforeAll(async () => {
    log = captureLogger('info');
    const behind = await startTestApiBehindProxy({ logger: log.logger });
    api = behind;
    proxy = behind.proxy;
    // Traffic with successes, client errors, a server error and event lookups.
    const created = await api.request('/v1/events', { method: 'POST', json: eventBody() });
    const id = created.body.event_id as string;
    await api.request(`/v1/events/${id}`);
    await api.request(`/v1/events/${id}/ack`, { method: 'POST' });
    await api.request(`/v1/events/${id}/ack`, { method: 'POST' });
    await api.request('/v1/events', { method: 'POST', json: { source: '' } });
    await api.request('/v1/inbox?limit=5');
    proxy.mode = 'garbage';
    await api.request('/v1/inbox');
    proxy.mode = 'pass';
  });
  afterAll(async () => {
    await api.close();
  });

  it('has the API emit lines of every kind the queries need', () => {
    const access = log.lines().filter((l) => l.message === 'Request completed');
    expect(access.map((l) => l.status_code)).toEqual(expect.arrayContaining([201, 200, 409, 400, 500]));
  });

  describe.each(LOGS_INSIGHTS_QUERIES.map((q) => [q.name, q] as const))('%s', (_name, query) => {
    it('uses every field it declares', () => {
      for (const field of query.fields) expect(query.queryString).toMatch(new RegExp(`\\b${field}\\b`));
    });

    it('declares every log field its text uses', () => {
      const logFields = new Set(log.lines().flatMap((line) => Object.keys(line)));
      const used = [...logFields].filter((field) => new RegExp(`(?<!as )(?<!@)\\b${field}\\b`).test(query.queryString));
      expect(used.filter((field) => !query.fields.includes(field))).toEqual([]);
    });

    it('finds every field it reads on the lines it selects', () => {
      const lines = log.lines().filter((l) => query.selects === undefined || l.message === query.selects);
      expect(lines.length).toBeGreaterThan(0);
      const missing = query.fields.filter((field) => !lines.some((line) => field in line));
      expect(missing).toEqual([]);
      // Fields every selected line must carry, not just one of them.
      const always = [
        'message',
        'method',
        'request_id',
        ...(query.selects ? ['endpoint', 'status_code', 'duration_ms'] : []),
      ];
      const gaps = query.fields
        .filter((field) => always.includes(field))
        .filter((field) => !lines.every((line) => field in line));
      expect(gaps).toEqual([]);
    });
  });

  it('builds a request trail query for one id and refuses anything that is not an id', () => {
    expect(requestTrailQuery('req-42')).toContain('filter request_id = "req-42"');
    expect(() => requestTrailQuery('x" or 1=1')).toThrow('Not a request id');
  });

  it('gives every line written while serving a request its request_id, so a trail misses none', () => {
    const lines = log.lines();
    expect(lines.length).toBeGreaterThanOrEqual(8);
    expect(lines.filter((line) => typeof line.request_id !== 'string')).toEqual([]);
  });
});
