import type { StoredEvent } from '../../../contract/event';
import { MAX_COALESCED_BATCH, WriteCoalescer } from '../../src/domain/write-coalescer';
import { DynamoDbEventStore } from '../../src/store/dynamodb-event-store';
import { pendingEvent } from '../../../tooling/event-seed';
import { eventBody, startTestApiBehindProxy, type TestApi } from '../../../tooling/test-api';
import type { FaultProxy } from '../../../tooling/fault-proxy';

/*
 * With WRITE_COALESCING=on (the server's default), new events without idempotency keys that arrive
 * together are written in one BatchWriteItem. The engine is real; the fault proxy in front of it counts
 * the calls and injects the faults.
 */

let api: TestApi & { proxy: FaultProxy };

beforeAll(async () => {
  api = await startTestApiBehindProxy({ env: { WRITE_COALESCING: 'on' } });
});

afterAll(async () => {
  await api.close();
});

afterEach(() => api.proxy.reset());

async function post(body: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await api.request('/v1/events', { method: 'POST', json: body });
  return { status: res.status, body: res.body as Record<string, unknown> };
}

/** The store the runtime uses, over the same proxy, with a count of its batch calls. */
function countingStore(): { store: DynamoDbEventStore; batches: number[] } {
  const store = new DynamoDbEventStore({
    doc: api.runtime.clients.doc,
    tableName: api.config.tables.events,
    indexes: api.runtime.indexes,
  });
  const batches: number[] = [];
  const putEvents = store.putEvents.bind(store);
  store.putEvents = (events: readonly StoredEvent[]) => {
    batches.push(events.length);
    return putEvents(events);
  };
  return { store, batches };
}

describe('write coalescing', () => {
  it('stores every one of 100 concurrent events, in far fewer batch calls than events', async () => {
    const { store, batches } = countingStore();
    const coalescer = new WriteCoalescer(store, 2);
    const events = Array.from({ length: 100 }, (_, i) =>
      pendingEvent('acme', new Date(), i, { source: 'coalesced', eventType: 'c' }),
    );

    await Promise.all(events.map((event) => coalescer.write(event)));

    // All 100 are queued before the event loop turns: full batches, then the rest.
    expect(batches.reduce((sum, n) => sum + n, 0)).toBe(100);
    expect(batches.length).toBe(Math.ceil(100 / MAX_COALESCED_BATCH));
    expect(Math.max(...batches)).toBe(MAX_COALESCED_BATCH);
    for (const event of events) expect(await store.eventExists(event, 1000)).toBe(true);
  });

  it('sends a lone event at once, in a batch of one', async () => {
    const { store, batches } = countingStore();
    const coalescer = new WriteCoalescer(store);
    const event = pendingEvent('acme', new Date(), 0, { source: 'lone', eventType: 'c' });

    await coalescer.write(event);

    expect(batches).toEqual([1]);
    expect(await store.eventExists(event, 1000)).toBe(true);
  });

  it('answers 201 to concurrent POSTs through BatchWriteItem, each event readable', async () => {
    api.proxy.operations = ['BatchWriteItem'];
    api.proxy.mode = 'pass';
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => post(eventBody({ payload: { i } }))));
    expect(results.map((r) => r.status)).toEqual(Array(30).fill(201));
    for (const result of results) {
      expect((await api.request(`/v1/events/${String(result.body.event_id)}`)).status).toBe(200);
    }
  });

  it('answers 503 stored:false to exactly the events the store leaves unprocessed, and 201 to the others', async () => {
    // Each BatchWriteItem writes its first item only; five attempts write five of each batch.
    api.proxy.mode = 'write-one-of-batch';
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => post(eventBody({ payload: { i } }))));
    api.proxy.reset();

    const created = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 503);
    expect(created.length + refused.length).toBe(20);
    expect(created.length).toBeGreaterThanOrEqual(5);
    for (const result of created) {
      expect((await api.request(`/v1/events/${String(result.body.event_id)}`)).status).toBe(200);
    }
    for (const result of refused) {
      const error = result.body.error as { code: string; details: { event_id: string; stored: boolean } };
      expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { stored: false } });
      expect((await api.request(`/v1/events/${error.details.event_id}`)).status).toBe(404);
    }
  });

  it('reads each event back when the batch call fails: none is reported stored unless it is', async () => {
    api.proxy.mode = 'throttle';
    api.proxy.operations = ['BatchWriteItem'];
    const results = await Promise.all(Array.from({ length: 5 }, () => post(eventBody())));
    api.proxy.reset();

    for (const result of results) {
      expect(result.status).toBe(503);
      const error = result.body.error as { details: { event_id: string; stored: boolean | null } };
      expect(error.details.stored).toBe(false);
      expect((await api.request(`/v1/events/${error.details.event_id}`)).status).toBe(404);
    }
  });

  it('writes events with an idempotency key one at a time, conditionally, as before', async () => {
    api.proxy.mode = 'throttle';
    api.proxy.operations = ['BatchWriteItem'];
    const key = `coalesce-${Date.now()}`;
    const first = await post(eventBody({ metadata: { idempotency_key: key } }));
    const again = await post(eventBody({ metadata: { idempotency_key: key } }));
    api.proxy.reset();

    expect(first.status).toBe(201);
    expect(again).toMatchObject({ status: 201, body: { event_id: first.body.event_id } });
  });
});
