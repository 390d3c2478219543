import { AdaptiveConcurrencyLimit, sheddableEndpoint } from '../../src/http/admission-control';
import { eventBody, startTestApiBehindProxy, type TestApi } from '../../../tooling/test-api';
import type { FaultProxy } from '../../../tooling/fault-proxy';

/** `rounds` times: admits `busy` requests at once (the whole limit by default), then ends each after `rttMs`. */
function run(limit: AdaptiveConcurrencyLimit, rounds: number, rttMs: number, busy?: number): void {
  for (let round = 0; round < rounds; round++) {
    const admitted = Array.from({ length: busy ?? limit.limit }, () => limit.tryAcquire()).filter(Boolean).length;
    for (let j = 0; j < admitted; j++) limit.release(rttMs);
  }
}

describe('AdaptiveConcurrencyLimit', () => {
  const options = { initialLimit: 20, minLimit: 4, maxLimit: 40, targetMs: 50, samplesPerWindow: 10 };

  it('admits up to its limit, refuses and counts the rest, and admits again once one is released', () => {
    const limit = new AdaptiveConcurrencyLimit({ initialLimit: 3, minLimit: 3, maxLimit: 3 });

    const admitted = [limit.tryAcquire(), limit.tryAcquire(), limit.tryAcquire(), limit.tryAcquire()];
    limit.release(5);

    expect(admitted).toEqual([true, true, true, false]);
    expect(limit.shed).toBe(1);
    expect(limit.tryAcquire()).toBe(true);
    expect(limit.inFlight).toBe(3);
  });

  it('grows while requests stay under the target and the limit is in use, up to its maximum', () => {
    const limit = new AdaptiveConcurrencyLimit(options);

    run(limit, 5, 20);
    const afterFive = limit.limit;
    run(limit, 200, 20);

    // One step per window in which at least half the limit was in flight.
    expect(afterFive).toBeGreaterThan(20);
    expect(afterFive).toBeLessThanOrEqual(30);
    expect(limit.limit).toBe(40);
  });

  it('does not grow while most of the limit sits unused', () => {
    const limit = new AdaptiveConcurrencyLimit(options);

    run(limit, 50, 5, 2);

    expect(limit.limit).toBe(20);
  });

  it('cuts the limit by a tenth per window that misses the target, never below its minimum, and grows back', () => {
    const limit = new AdaptiveConcurrencyLimit(options);

    run(limit, 1, 80);
    const afterOne = limit.limit;
    run(limit, 100, 80);
    const floor = limit.limit;
    run(limit, 100, 10);

    // Both windows of the round missed the target: 20 x 0.9 x 0.9.
    expect(afterOne).toBe(16);
    expect(floor).toBe(4);
    expect(limit.limit).toBe(40);
  });

  it('ignores a round trip that is not a number', () => {
    const limit = new AdaptiveConcurrencyLimit({ initialLimit: 10, samplesPerWindow: 1 });
    limit.tryAcquire();

    limit.release(Number.NaN);

    expect(limit.limit).toBe(10);
    expect(limit.inFlight).toBe(0);
  });

  it.each([
    [{ minLimit: 0 }, /minLimit/],
    [{ minLimit: 10, maxLimit: 5 }, /minLimit <= maxLimit/],
  ])('refuses %j', (options, message) => {
    expect(() => new AdaptiveConcurrencyLimit(options)).toThrow(message);
  });
});

describe('sheddableEndpoint', () => {
  it.each([
    ['POST', '/v1/events', 'POST /v1/events'],
    ['POST', '/v1/events/batch', 'POST /v1/events/batch'],
    ['GET', '/v1/events/0b5e1c2d-aaaa-bbbb-cccc-111122223333?x=1', 'GET /v1/events/{event_id}'],
    ['HEAD', '/v1/events/abc', 'GET /v1/events/{event_id}'],
    ['POST', '/v1/events/abc/ack', 'POST /v1/events/{event_id}/ack'],
    ['DELETE', '/v1/events/abc', 'DELETE /v1/events/{event_id}'],
    ['GET', '/v1/inbox?limit=5', 'GET /v1/inbox'],
  ])('sheds %s %s as %s', (method, url, endpoint) => {
    expect(sheddableEndpoint(method, url)).toBe(endpoint);
  });

  it.each([
    ['GET', '/v1/health'],
    ['GET', '/dashboard'],
    ['GET', '/metrics'],
    ['GET', '/v1/events/a/b'],
    ['PUT', '/v1/events'],
    ['POST', '/v1/inbox'],
    [undefined, undefined],
  ])('never sheds %s %s', (method, url) => {
    expect(sheddableEndpoint(method, url)).toBeUndefined();
  });
});

// The engine is slowed by the fault proxy so that requests stay in flight; the API admits three at a time.
describe('admission control in the API', () => {
  let api: TestApi & { proxy: FaultProxy };
  beforeAll(async () => {
    api = await startTestApiBehindProxy({
      env: { ADMISSION_CONTROL: 'adaptive', ADMISSION_MIN_CONCURRENCY: '3', ADMISSION_MAX_CONCURRENCY: '3' },
    });
  });
  afterEach(() => api.proxy.reset());
  afterAll(async () => {
    await api.close();
  });

  it('answers the excess at once with 503 OVERLOADED and Retry-After, counts it, and stores only what it admitted', async () => {
    api.proxy.delayMs = 400;
    api.proxy.operations = ['PutItem'];
    const storedBefore = (await api.scanEvents()).length;
    const shedBefore =
      api.runtime.metrics.snapshot().total.find((f) => f.endpoint === 'POST /v1/events')?.errorsByType.OVERLOADED ?? 0;

    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const res = await api.request('/v1/events', { method: 'POST', json: eventBody() });
        return { res, ms: performance.now() - started };
      }),
    );

    const created = answers.filter(({ res }) => res.status === 201);
    const shed = answers.filter(({ res }) => res.status === 503);
    expect(created).toHaveLength(3);
    expect(shed).toHaveLength(7);
    for (const { res } of shed) {
      expect(res.headers.get('retry-after')).toBe('1');
      expect(res.headers.get('x-request-id')).toBe(res.body.error.request_id);
      expect(res.body.error).toEqual({
        code: 'OVERLOADED',
        message: 'The API is at capacity; retry later',
        details: { limit: 3, in_flight: 3 },
        request_id: expect.any(String),
      });
    }
    // Refused before the store was called: they did not wait behind the slow writes.
    expect(Math.max(...shed.map(({ ms }) => ms))).toBeLessThan(Math.min(...created.map(({ ms }) => ms)));
    expect((await api.scanEvents()).length - storedBefore).toBe(3);
    const shedAfter = api.runtime.metrics.snapshot().total.find((f) => f.endpoint === 'POST /v1/events')
      ?.errorsByType.OVERLOADED;
    expect(shedAfter).toBe(shedBefore + 7);
  });

  it('keeps the connection of a shed request usable: its next request is served', async () => {
    const { Client } = await import('undici');
    const client = new Client(api.url, { pipelining: 1 });
    try {
      api.proxy.delayMs = 400;
      api.proxy.operations = ['PutItem'];
      const busy = Array.from({ length: 3 }, () => api.request('/v1/events', { method: 'POST', json: eventBody() }));
      await api.proxy.received('PutItem');
      const post = () =>
        client.request({
          method: 'POST',
          path: '/v1/events',
          headers: { 'content-type': 'application/json', 'x-api-key': api.keys.acme },
          body: JSON.stringify(eventBody()),
        });
      const shed = await post();
      await shed.body.dump();
      await Promise.all(busy);
      api.proxy.reset();
      const served = await post();
      await served.body.dump();

      expect(shed.statusCode).toBe(503);
      expect(shed.headers.connection).toBe('keep-alive');
      expect(served.statusCode).toBe(201);
    } finally {
      await client.close();
    }
  });

  it('keeps answering health checks while the API sheds', async () => {
    api.proxy.delayMs = 400;
    api.proxy.operations = ['PutItem'];
    const busy = Array.from({ length: 3 }, () => api.request('/v1/events', { method: 'POST', json: eventBody() }));
    await api.proxy.received('PutItem');

    const [health, shedOne] = await Promise.all([
      api.request('/v1/health', { key: null }),
      api.request('/v1/events', { method: 'POST', json: eventBody() }),
    ]);
    await Promise.all(busy);

    expect(health.status).toBe(200);
    expect(shedOne.status).toBe(503);
  });
});
