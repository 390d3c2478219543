import { eventBody, startTestApi, type TestApi } from '../../../tooling/test-api';

describe('tenant isolation', () => {
  let api: TestApi;
  let acmeEventId: string;

  beforeAll(async () => {
    api = await startTestApi();
    const res = await api.request('/v1/events', {
      method: 'POST',
      json: eventBody({ source: 'acme-only' }),
      key: api.keys.acme,
    });
    acmeEventId = res.body.event_id as string;
    for (let i = 0; i < 3; i++) {
      await api.request('/v1/events', { method: 'POST', json: eventBody(), key: api.keys.acme });
    }
  });
  afterAll(async () => {
    await api.close();
  });

  it('does not let another tenant read an event: 404, as if it did not exist', async () => {
    const res = await api.request(`/v1/events/${acmeEventId}`, { key: api.keys.globex });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });

  it('does not let another tenant acknowledge an event', async () => {
    const res = await api.request(`/v1/events/${acmeEventId}/ack`, { method: 'POST', key: api.keys.globex });
    expect(res.status).toBe(404);
    const own = await api.request(`/v1/events/${acmeEventId}`, { key: api.keys.acme });
    expect(own.body.status).toBe('pending');
  });

  it('does not let another tenant delete an event', async () => {
    const res = await api.request(`/v1/events/${acmeEventId}`, { method: 'DELETE', key: api.keys.globex });
    expect(res.status).toBe(200);
    const own = await api.request(`/v1/events/${acmeEventId}`, { key: api.keys.acme });
    expect(own.status).toBe(200);
  });

  it("does not list another tenant's events in the inbox", async () => {
    const res = await api.request('/v1/inbox?limit=100', { key: api.keys.globex });
    expect(res.body.events).toEqual([]);
    const own = await api.request('/v1/inbox?limit=100', { key: api.keys.acme });
    expect(own.body.events.length).toBe(4);
  });

  it("rejects another tenant's cursor with 400", async () => {
    const page = await api.request('/v1/inbox?limit=1', { key: api.keys.acme });
    const cursor = page.body.pagination.next_cursor as string;
    expect(cursor).toEqual(expect.any(String));
    const res = await api.request(`/v1/inbox?cursor=${encodeURIComponent(cursor)}`, { key: api.keys.globex });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'VALIDATION_ERROR', message: 'Invalid cursor' });
  });

  it('keeps idempotency keys per tenant: the same key in two tenants makes two events', async () => {
    const body = eventBody({ metadata: { idempotency_key: 'shared-key' } });
    const a = await api.request('/v1/events', { method: 'POST', json: body, key: api.keys.acme });
    const b = await api.request('/v1/events', { method: 'POST', json: body, key: api.keys.globex });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(a.body.event_id).not.toBe(b.body.event_id);
  });
});
