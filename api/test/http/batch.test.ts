import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import {
  eventBody,
  startTestApi,
  startTestApiBehindProxy,
  type TestApi,
  type TestResponse,
} from '../../../tooling/test-api';
import type { FaultProxy } from '../../../tooling/fault-proxy';

// POST /v1/events/batch against the embedded engine; the store's failures come from the fault proxy,
// which answers the way DynamoDB does (throttling, unprocessed items) in front of the real engine.

function batch(api: TestApi, events: unknown[], key?: string): Promise<TestResponse> {
  return api.request('/v1/events/batch', { method: 'POST', json: { events }, ...(key ? { key } : {}) });
}

async function storedCount(api: TestApi): Promise<number> {
  return (await api.scanEvents()).filter((item) => String(item.sk).startsWith('EVENT#')).length;
}

describe('POST /v1/events/batch', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it('creates every event and answers for each in request order', async () => {
    const events = [0, 1, 2].map((i) => eventBody({ payload: { n: i } }));

    const res = await batch(api, events);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      results: [0, 1, 2].map((index) => ({
        index,
        status: 201,
        event_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        created_at: expect.any(String),
        event_status: 'pending',
        replayed: false,
      })),
      created: 3,
      failed: 0,
      request_id: expect.any(String),
    });
    for (const [index, result] of (res.body.results as { event_id: string }[]).entries()) {
      const got = await api.request(`/v1/events/${result.event_id}`);
      expect(got.status).toBe(200);
      expect(got.body.payload).toEqual({ n: index });
    }
  });

  it('stores the valid events of a batch with invalid ones, and says which failed and why', async () => {
    const res = await batch(api, [
      eventBody({ payload: { ok: 1 } }),
      eventBody({ source: '' }),
      'not an event',
      eventBody({ payload: { ok: 2 } }),
      eventBody({ unexpected: true }),
    ]);

    expect(res.status).toBe(200);
    expect(res.body.created).toBe(2);
    expect(res.body.failed).toBe(3);
    const results = res.body.results as { index: number; status: number; error?: { code: string; details: unknown } }[];
    expect(results.map((r) => [r.index, r.status])).toEqual([
      [0, 201],
      [1, 400],
      [2, 400],
      [3, 201],
      [4, 400],
    ]);
    expect(results[1]?.error).toEqual({
      code: 'VALIDATION_ERROR',
      message: expect.stringContaining('source'),
      details: [{ field: 'source', message: expect.any(String) }],
    });
    expect(results[4]?.error?.code).toBe('VALIDATION_ERROR');
  });

  it.each([
    ['a body that is not an object', []],
    ['no events member', { items: [eventBody()] }],
    ['an empty batch', { events: [] }],
    ['26 events', { events: Array.from({ length: 26 }, () => eventBody()) }],
    ['events that is not an array', { events: eventBody() }],
    ['an unknown top-level member', { events: [eventBody()], dry_run: true }],
  ])('refuses %s with 400 and stores nothing', async (_case, json) => {
    const before = await storedCount(api);

    const res = await api.request('/v1/events/batch', { method: 'POST', json });

    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(await storedCount(api)).toBe(before);
  });

  it('accepts 25 events, the BatchWriteItem limit', async () => {
    const res = await batch(
      api,
      Array.from({ length: 25 }, (_, i) => eventBody({ payload: { i } })),
    );

    expect(res.status).toBe(200);
    expect(res.body.created).toBe(25);
  });

  it('holds each event to the single endpoint’s size limit', async () => {
    const big = eventBody({ payload: { blob: 'x'.repeat(300 * 1024) } });

    const res = await batch(api, [eventBody(), big]);

    expect(res.status).toBe(200);
    expect((res.body.results as { status: number }[]).map((r) => r.status)).toEqual([201, 413]);
  });

  it('treats an idempotency key exactly as POST /v1/events does', async () => {
    const key = `batch-${randomUUID()}`;
    const keyed = eventBody({ metadata: { idempotency_key: key } });

    const first = await batch(api, [keyed, eventBody()]);
    const again = await batch(api, [keyed]);
    const single = await api.request('/v1/events', { method: 'POST', json: keyed });
    const reused = await batch(api, [eventBody({ payload: { other: true }, metadata: { idempotency_key: key } })]);

    const eventId = first.body.results[0].event_id as string;
    expect(first.body.results[0]).toMatchObject({ status: 201, replayed: false });
    expect(again.body.results[0]).toMatchObject({ status: 201, event_id: eventId, replayed: true });
    expect(single.status).toBe(201);
    expect(single.body.event_id).toBe(eventId);
    expect(single.headers.get('idempotent-replayed')).toBe('true');
    expect(reused.status).toBe(200);
    expect(reused.body.results[0]).toMatchObject({ status: 409, error: { code: 'CONFLICT' } });
  });

  it('creates the events for the caller’s tenant only', async () => {
    const res = await batch(api, [eventBody()], api.keys.globex);
    const eventId = res.body.results[0].event_id as string;

    expect((await api.request(`/v1/events/${eventId}`, { key: api.keys.globex })).status).toBe(200);
    expect((await api.request(`/v1/events/${eventId}`, { key: api.keys.acme })).status).toBe(404);
  });

  it('counts events, not requests, in the ingestion figures', async () => {
    const before = api.runtime.metrics.snapshot().ingestion.total;

    await batch(api, [eventBody(), eventBody(), eventBody({ source: '' })]);

    expect(api.runtime.metrics.snapshot().ingestion.total - before).toBe(2);
  });

  it('never answers hostile batches with a 5xx', async () => {
    const item = fc.oneof(
      fc.jsonValue(),
      fc.record({ source: fc.string(), event_type: fc.string(), payload: fc.jsonValue() }),
      fc.constant(eventBody()),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.jsonValue(), fc.record({ events: fc.array(item, { maxLength: 30 }) })),
        async (json) => {
          const res = await api.request('/v1/events/batch', { method: 'POST', json });
          expect([200, 400, 413]).toContain(res.status);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('POST /v1/events/batch when the store struggles', () => {
  let api: TestApi & { proxy: FaultProxy };
  beforeAll(async () => {
    api = await startTestApiBehindProxy();
  });
  afterEach(() => api.proxy.reset());
  afterAll(async () => {
    await api.close();
  });

  it('sends again the items the store leaves unprocessed, until every one is written', async () => {
    api.proxy.mode = 'write-one-of-batch';

    const res = await batch(api, [eventBody(), eventBody(), eventBody()]);

    expect(res.status).toBe(200);
    expect(res.body.created).toBe(3);
    api.proxy.reset();
    for (const result of res.body.results as { event_id: string }[]) {
      expect((await api.request(`/v1/events/${result.event_id}`)).status).toBe(200);
    }
  });

  it('answers 503 with Retry-After when items stay unprocessed, saying which were stored', async () => {
    api.proxy.mode = 'write-one-of-batch';

    // Five attempts write one item each: five of the ten stay unprocessed.
    const res = await batch(
      api,
      Array.from({ length: 10 }, (_, i) => eventBody({ payload: { i } })),
    );
    api.proxy.reset();

    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.body.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: expect.stringContaining('5 of 10') });
    expect(res.body).toMatchObject({ created: 5, failed: 5 });
    const results = res.body.results as {
      status: number;
      event_id?: string;
      error?: { details: { event_id: string } };
    }[];
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201, 503, 503, 503, 503, 503]);
    for (const result of results) {
      const eventId = result.event_id ?? result.error?.details.event_id;
      expect((await api.request(`/v1/events/${eventId}`)).status).toBe(result.status === 201 ? 200 : 404);
    }
  });

  it('reads each event back when the batch call fails, and reports the ones that were not stored', async () => {
    api.proxy.mode = 'throttle';
    api.proxy.operations = ['BatchWriteItem'];

    const res = await batch(api, [eventBody(), eventBody()]);
    api.proxy.reset();

    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ created: 0, failed: 2 });
    expect(res.body.results.map((r: { error: { details: unknown } }) => r.error.details)).toEqual([
      { event_id: expect.any(String), stored: false },
      { event_id: expect.any(String), stored: false },
    ]);
  });

  it('reports events as created when the batch was applied but its answer was lost', async () => {
    api.proxy.mode = 'apply-then-drop-every';
    api.proxy.operations = ['BatchWriteItem'];

    const res = await batch(api, [eventBody(), eventBody()]);
    api.proxy.reset();

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ created: 2, failed: 0 });
    for (const result of res.body.results as { event_id: string }[]) {
      expect((await api.request(`/v1/events/${result.event_id}`)).status).toBe(200);
    }
  });
});
