import { randomUUID } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { createServer } from 'node:net';
import type { FaultProxy } from '../../../tooling/fault-proxy';
import { eventBody, startTestApi, startTestApiBehindProxy, type TestApi } from '../../../tooling/test-api';

// The engine cannot be made to throttle, so a proxy in front of it answers as DynamoDB does when throttling.
describe('store faults', () => {
  let api: TestApi;
  let proxy!: FaultProxy;

  beforeAll(async () => {
    const behind = await startTestApiBehindProxy({
      env: { AUTH_CACHE_TTL_SECONDS: '300', DYNAMODB_TIMEOUT_MS: '300' },
    });
    api = behind;
    proxy = behind.proxy;
    // Warm the key cache so the faults below hit the event path, not authentication.
    await api.request('/v1/inbox');
  });
  afterEach(() => {
    proxy.reset();
  });
  afterAll(async () => {
    await api.close();
  });

  it.each([
    ['throttled', 'throttle' as const, '1'],
    ['failing', 'server-error' as const, '2'],
    ['unreachable', 'drop' as const, '2'],
  ])('returns 503 with Retry-After and the error envelope when DynamoDB is %s', async (_case, mode, retryAfter) => {
    proxy.mode = mode;
    const res = await api.request('/v1/events', { method: 'POST', json: eventBody() });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe(retryAfter);
    expect(res.body.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', request_id: res.headers.get('x-request-id') });
    expect(res.text).not.toMatch(/at \w+ \(|node_modules|\.ts:\d+/);
  });

  it('leaves nothing behind when a write is refused under throttling, and the next write lands', async () => {
    const before = await api.scanEvents();
    proxy.mode = 'throttle';
    proxy.operations = ['PutItem'];
    expect((await api.request('/v1/events', { method: 'POST', json: eventBody() })).status).toBe(503);
    expect(await api.scanEvents()).toEqual(before);
    proxy.mode = 'pass';
    const ok = await api.request('/v1/events', { method: 'POST', json: eventBody() });
    expect(ok.status).toBe(201);
    expect((await api.request(`/v1/events/${ok.body.event_id}`)).status).toBe(200);
  });

  it('returns 503 when DynamoDB stalls past the request timeout instead of hanging', async () => {
    proxy.delayMs = 1500;
    proxy.operations = ['Query'];
    const res = await api.request('/v1/inbox');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('2');
  });

  it('answers 201 once when the response to an applied write is lost and the SDK retries it', async () => {
    proxy.mode = 'apply-then-drop';
    proxy.operations = ['PutItem'];
    const res = await api.request('/v1/events', { method: 'POST', json: eventBody({ source: 'lost-response' }) });
    expect(res.status).toBe(201);
    const stored = (await api.scanEvents()).filter((item) => item.event_id === res.body.event_id);
    expect(stored).toHaveLength(1);
  });

  describe('what a 503 on POST says about the event', () => {
    it('says the event was not stored when the write was refused, and it was not', async () => {
      proxy.mode = 'throttle';
      proxy.operations = ['PutItem'];
      const res = await api.request('/v1/events', { method: 'POST', json: eventBody() });
      expect(res.status).toBe(503);
      expect(res.body.error.details).toEqual({ event_id: expect.any(String), stored: false });
      expect(res.body.error.message).toContain('the event was not stored');
      proxy.reset();
      expect((await api.request(`/v1/events/${res.body.error.details.event_id}`)).status).toBe(404);
    });

    it('answers 201 when every answer to an applied write is lost: the consistent read finds it', async () => {
      proxy.mode = 'apply-then-drop-every';
      proxy.operations = ['PutItem'];
      const res = await api.request('/v1/events', { method: 'POST', json: eventBody({ source: 'every-answer-lost' }) });
      expect(res.status).toBe(201);
      proxy.reset();
      const stored = (await api.scanEvents()).filter((item) => item.event_id === res.body.event_id);
      expect(stored).toHaveLength(1);
    });

    it('says the outcome is unknown, with the event id to look up, when the check cannot reach the store either', async () => {
      proxy.mode = 'drop';
      const res = await api.request('/v1/events', { method: 'POST', json: eventBody() });
      expect(res.status).toBe(503);
      expect(res.body.error.details).toEqual({ event_id: expect.any(String), stored: null });
      expect(res.body.error.message).toContain(`GET /v1/events/${res.body.error.details.event_id}`);
    });
  });

  it('returns 503 for reads too', async () => {
    proxy.mode = 'throttle';
    expect((await api.request(`/v1/events/${randomUUID()}`)).status).toBe(503);
    expect((await api.request('/v1/inbox')).status).toBe(503);
  });
});

describe('a store endpoint where nothing listens', () => {
  it('answers 503 instead of hanging or crashing', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });
    let api: TestApi | undefined;
    try {
      api = await startTestApi({ endpointOverride: () => `http://127.0.0.1:${port}` });
      const res = await api.request('/v1/inbox');
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      await api?.close();
    }
  });
});

describe('a store whose events table is gone (being restored, or the engine restarted empty)', () => {
  it('answers 503 with Retry-After, not 500', async () => {
    const api = await startTestApi();
    try {
      // Warm the key cache: the API keys table stays, only the events table goes.
      expect((await api.request('/v1/inbox')).status).toBe(200);
      await api.runtime.clients.client.send(new DeleteTableCommand({ TableName: api.config.tables.events }));
      for (const res of [
        await api.request('/v1/events', { method: 'POST', json: eventBody() }),
        await api.request(`/v1/events/${randomUUID()}`),
        await api.request('/v1/inbox'),
      ]) {
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('2');
        expect(res.body.error.code).toBe('SERVICE_UNAVAILABLE');
      }
    } finally {
      await api.close();
    }
  });
});
