import { seedLegacyEvents } from '../../src/store/legacy-seed';
import { captureLogger, type CapturedLogger } from '../../../tooling/captured-logger';
import type { FaultProxy } from '../../../tooling/fault-proxy';
import { eventBody, startTestApiBehindProxy, type TestApi } from '../../../tooling/test-api';

const CONTEXT_FIELDS = ['timestamp', 'level', 'message', 'request_id', 'api_key', 'tenant_id', 'endpoint', 'method'];

describe('structured request logs', () => {
  let api: TestApi;
  let proxy!: FaultProxy;
  let log: CapturedLogger;

  beforeAll(async () => {
    log = captureLogger('info');
    const behind = await startTestApiBehindProxy({ legacy: true, logger: log.logger });
    api = behind;
    proxy = behind.proxy;
    await seedLegacyEvents(api.runtime.clients.doc, {
      tableName: api.config.tables.events,
      count: 5,
      tenants: ['acme'],
    });
  });
  afterEach(() => {
    proxy.reset();
  });
  afterAll(async () => {
    await api.close();
  });

  const linesOf = (requestId: string): Record<string, unknown>[] =>
    log.lines().filter((l) => l.request_id === requestId);

  it('writes one access line per request with status, duration and the request context', async () => {
    const res = await api.request('/v1/events', {
      method: 'POST',
      json: eventBody(),
      headers: { 'x-request-id': 'log-req-1', 'x-correlation-id': 'corr-9' },
    });
    expect(res.status).toBe(201);
    const access = linesOf('log-req-1').filter((l) => l.message === 'Request completed');
    expect(access).toHaveLength(1);
    expect(access[0]).toEqual({
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      level: 'INFO',
      message: 'Request completed',
      request_id: 'log-req-1',
      correlation_id: 'corr-9',
      api_key: `${api.keys.acme.slice(0, 7)}...`,
      tenant_id: 'acme',
      endpoint: '/v1/events',
      method: 'POST',
      event_id: res.body.event_id,
      status_code: 201,
      duration_ms: expect.any(Number),
    });
  });

  it('gives store-layer lines the same context without a logger being passed per request', async () => {
    // A legacy table has no event-id-index: the store logs that it scans.
    const res = await api.request('/v1/events/0b5e6f1c-4a1b-4c2d-9e3f-123456789abc', {
      headers: { 'x-request-id': 'log-req-2' },
    });
    expect(res.status).toBe(404);
    const lines = linesOf('log-req-2');
    const storeLine = lines.find((l) => l.message === 'Event lookup scans the tenant partition');
    expect(storeLine).toBeDefined();
    for (const line of lines) {
      for (const field of CONTEXT_FIELDS) expect(line).toHaveProperty(field);
      expect(line).toMatchObject({ tenant_id: 'acme', endpoint: '/v1/events/{event_id}', method: 'GET' });
    }
    expect(lines.find((l) => l.message === 'Request completed')).toMatchObject({
      status_code: 404,
      error_type: 'NOT_FOUND',
      lookup_method: 'scan',
    });
  });

  it('logs a server-side failure once, with error_type and stack, and sends no stack to the client', async () => {
    proxy.mode = 'garbage';
    proxy.operations = ['Query'];
    const res = await api.request('/v1/inbox', { headers: { 'x-request-id': 'log-req-3' } });
    expect(res.status).toBe(500);
    expect(res.body.error).toEqual({
      code: 'INTERNAL_ERROR',
      message: 'Internal server error',
      details: null,
      request_id: 'log-req-3',
    });
    const errors = linesOf('log-req-3').filter((l) => l.level === 'ERROR');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ message: 'Request failed', error_type: 'INTERNAL_ERROR', endpoint: '/v1/inbox' });
    expect((errors[0].err as { stack: string }).stack).toMatch(/\n\s+at /);
    expect(res.text).not.toContain(' at ');
  });

  it('labels 503s with their error type on the access line', async () => {
    proxy.mode = 'throttle';
    await api.request('/v1/inbox', { headers: { 'x-request-id': 'log-req-4' } });
    expect(linesOf('log-req-4').find((l) => l.message === 'Request completed')).toMatchObject({
      status_code: 503,
      error_type: 'SERVICE_UNAVAILABLE',
    });
  });

  it('marks the access line of a request whose client hung up before the response as aborted', async () => {
    proxy.delayMs = 600;
    proxy.operations = ['PutItem'];
    const controller = new AbortController();
    const sent = fetch(`${api.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': api.keys.acme, 'x-request-id': 'log-req-abort' },
      body: JSON.stringify(eventBody()),
      signal: controller.signal,
    });
    await proxy.received('PutItem');
    controller.abort();
    await expect(sent).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 900));
    const access = linesOf('log-req-abort').filter((l) => l.message === 'Request completed');
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({ status_code: 499, aborted: true, endpoint: '/v1/events' });
  });

  it('writes each field once per line (no duplicate keys)', async () => {
    await api.request('/v1/inbox', { headers: { 'x-request-id': 'log-req-dup' } });
    const raw = log
      .text()
      .split('\n')
      .filter((line) => line.includes('"log-req-dup"'));
    expect(raw.length).toBeGreaterThan(0);
    for (const line of raw) {
      const keys = [...line.matchAll(/"([a-z_]+)":/g)].map((m) => m[1]);
      expect(keys.filter((key, i) => keys.indexOf(key) !== i)).toEqual([]);
    }
  });

  it('generates a request id when the inbound one is not sane, and uses it on every line', async () => {
    const res = await api.request('/v1/inbox', { headers: { 'x-request-id': 'x'.repeat(200) } });
    const id = res.headers.get('x-request-id') ?? '';
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(linesOf(id).length).toBeGreaterThan(0);
  });

  it('never writes a full API key or payload contents', async () => {
    await api.request('/v1/events', {
      method: 'POST',
      json: eventBody({ payload: { secret_marker: 'do-not-log-me' } }),
    });
    await api.request('/v1/inbox', { key: 'tk_wrong_key_that_must_not_be_logged' });
    const text = log.text();
    expect(text).not.toContain(api.keys.acme);
    expect(text).not.toContain('tk_wrong_key_that_must_not_be_logged');
    expect(text).not.toContain('do-not-log-me');
  });
});

describe('logger redaction', () => {
  it.each([
    [{ headers: { 'x-api-key': 'tk_secret' } }, 'tk_secret'],
    [{ headers: { authorization: 'Bearer abc' } }, 'Bearer abc'],
    [{ payload: { card: '4111' } }, '4111'],
    [{ event: { payload: { card: '4242' } } }, '4242'],
  ])('redacts %p', (fields, secret) => {
    const log = captureLogger();
    log.logger.info(fields, 'something happened');
    expect(log.text()).toContain('[REDACTED]');
    expect(log.text()).not.toContain(secret);
  });
});
