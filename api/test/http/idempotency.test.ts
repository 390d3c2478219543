import { randomUUID } from 'node:crypto';
import { epochSeconds, type StoredEvent } from '../../../contract/event';
import { idempotencyRequestHash } from '../../src/domain/event-service';
import { DynamoDbEventStore } from '../../src/store/dynamodb-event-store';
import type { FaultProxy } from '../../../tooling/fault-proxy';
import { eventBody, startTestApi, startTestApiBehindProxy, type TestApi } from '../../../tooling/test-api';

describe('idempotent event creation', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  const eventItems = async (): Promise<Record<string, unknown>[]> =>
    (await api.scanEvents()).filter((item) => String(item.sk).startsWith('EVENT#'));

  it('turns 20 concurrent identical requests into exactly one event', async () => {
    const body = eventBody({ metadata: { idempotency_key: 'concurrent-1' } });
    const before = (await eventItems()).length;
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => api.request('/v1/events', { method: 'POST', json: body })),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(201));
    const ids = new Set(responses.map((r) => r.body.event_id));
    expect(ids.size).toBe(1);
    expect(responses.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(19);
    expect((await eventItems()).length).toBe(before + 1);
  });

  it('returns the original event on a replay, with the original creation time', async () => {
    const body = eventBody({ metadata: { idempotency_key: 'replay-1' } });
    const first = await api.request('/v1/events', { method: 'POST', json: body });
    const second = await api.request('/v1/events', { method: 'POST', json: body });
    expect(second.status).toBe(201);
    expect(second.body).toMatchObject({
      event_id: first.body.event_id,
      created_at: first.body.created_at,
      status: 'pending',
    });
    expect(second.body.request_id).not.toBe(first.body.request_id);
  });

  it('returns 409 and writes nothing when the key is reused with a different request', async () => {
    await api.request('/v1/events', { method: 'POST', json: eventBody({ metadata: { idempotency_key: 'reuse-1' } }) });
    const before = await api.scanEvents();
    const res = await api.request('/v1/events', {
      method: 'POST',
      json: eventBody({ payload: { other: true }, metadata: { idempotency_key: 'reuse-1' } }),
    });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('CONFLICT');
    expect(await api.scanEvents()).toEqual(before);
  });

  it('does not bring back an event the client deleted when the request is replayed', async () => {
    const body = eventBody({ metadata: { idempotency_key: 'deleted-1' } });
    const first = await api.request('/v1/events', { method: 'POST', json: body });
    expect((await api.request(`/v1/events/${first.body.event_id}`, { method: 'DELETE' })).status).toBe(200);
    const replay = await api.request('/v1/events', { method: 'POST', json: body });
    expect(replay.body.event_id).toBe(first.body.event_id);
    expect((await api.request(`/v1/events/${first.body.event_id}`)).status).toBe(404);
  });

  it('finishes the write of a reservation whose event was never written (a crashed first attempt)', async () => {
    // Arrange: a reservation as a first attempt leaves it when it dies between its two writes.
    const store = new DynamoDbEventStore({
      doc: api.runtime.clients.doc,
      tableName: api.config.tables.events,
      indexes: api.runtime.indexes,
    });
    const now = new Date();
    const event: StoredEvent = {
      tenantId: 'acme',
      eventId: randomUUID(),
      createdAt: now.toISOString(),
      source: 'billing',
      eventType: 'invoice.paid',
      payloadJson: '{"invoice":"inv_1","amount":42}',
      metadata: { idempotency_key: 'crashed-1' },
      status: 'pending',
      expiresAt: epochSeconds(now) + 3600,
    };
    const body = eventBody({ metadata: { idempotency_key: 'crashed-1' } });
    const requestHash = idempotencyRequestHash({
      source: 'billing',
      eventType: 'invoice.paid',
      payloadJson: event.payloadJson,
      metadata: { idempotency_key: 'crashed-1' },
    });
    expect(
      await store.reserveIdempotencyKey(
        {
          tenantId: 'acme',
          key: 'crashed-1',
          requestHash,
          event,
          eventDeleted: false,
          expiresAt: epochSeconds(now) + 3600,
        },
        epochSeconds(now),
      ),
    ).toBe(true);
    expect((await api.request(`/v1/events/${event.eventId}`)).status).toBe(404);

    // Act: the client retries.
    const retry = await api.request('/v1/events', { method: 'POST', json: body });

    // Assert: the reserved event now exists, once.
    expect(retry.status).toBe(201);
    expect(retry.body.event_id).toBe(event.eventId);
    const got = await api.request(`/v1/events/${event.eventId}`);
    expect(got.status).toBe(200);
    expect(got.body.payload).toEqual({ invoice: 'inv_1', amount: 42 });
  });

  it('does not index idempotency records in event-id-index (they carry no event_id attribute)', async () => {
    const records = (await api.scanEvents()).filter((item) => String(item.sk).startsWith('IDEMPOTENCY#'));
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) {
      expect(record).not.toHaveProperty('event_id');
      expect(record).not.toHaveProperty('inbox_pk');
    }
  });
});

describe('idempotent creation racing other requests', () => {
  let api: TestApi;
  let proxy!: FaultProxy;
  // The event's own write; the reservation's condition goes on with " OR expires_at ...".
  const EVENT_PUT = '"ConditionExpression":"attribute_not_exists(sk)"';

  beforeAll(async () => {
    const behind = await startTestApiBehindProxy();
    api = behind;
    proxy = behind.proxy;
  });
  afterAll(async () => {
    await api.close();
  });

  async function afterPutItems(count: number): Promise<void> {
    for (let i = 0; i < count; i++) await proxy.received('PutItem');
  }

  it('answers 201 to the first request even when a duplicate wrote the event before it', async () => {
    const body = eventBody({ metadata: { idempotency_key: 'slow-writer-1' } });
    proxy.holdNext('PutItem', EVENT_PUT, 700);
    const reservedAndWriting = afterPutItems(2);
    const first = api.request('/v1/events', { method: 'POST', json: body });
    await reservedAndWriting;

    const duplicate = await api.request('/v1/events', { method: 'POST', json: body });
    const original = await first;

    expect(duplicate.status).toBe(201);
    expect(original.status).toBe(201);
    expect(original.body.event_id).toBe(duplicate.body.event_id);
    const stored = (await api.scanEvents()).filter((item) => item.event_id === original.body.event_id);
    expect(stored).toHaveLength(1);
  });

  it('does not resurrect an event deleted while a replay of its request was writing it', async () => {
    const body = eventBody({ metadata: { idempotency_key: 'replay-vs-delete-1' } });
    const created = await api.request('/v1/events', { method: 'POST', json: body });
    const id = created.body.event_id as string;

    // The replay's reservation attempt fails, then its re-write of the event is held back...
    proxy.holdNext('PutItem', EVENT_PUT, 700);
    const replayWriting = afterPutItems(2);
    const replay = api.request('/v1/events', { method: 'POST', json: body });
    await replayWriting;
    // ...while the client deletes the event.
    expect((await api.request(`/v1/events/${id}`, { method: 'DELETE' })).body.message).toBe('Event deleted');

    expect((await replay).body.event_id).toBe(id);
    expect((await api.request(`/v1/events/${id}`)).status).toBe(404);
    expect((await api.scanEvents()).filter((item) => item.event_id === id)).toEqual([]);
  });
});
