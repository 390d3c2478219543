import { randomUUID } from 'node:crypto';
import { eventBody, startTestApi, type TestApi } from '../../../tooling/test-api';

describe('events endpoints', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  async function createEvent(overrides: Record<string, unknown> = {}, key?: string): Promise<string> {
    const res = await api.request('/v1/events', {
      method: 'POST',
      json: eventBody(overrides),
      ...(key ? { key } : {}),
    });
    expect(res.status).toBe(201);
    return res.body.event_id as string;
  }

  describe('GET /v1/health', () => {
    it('answers without an API key', async () => {
      const res = await api.request('/v1/health', { key: null });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'healthy', timestamp: expect.any(String), version: expect.any(String) });
    });
  });

  describe('POST /v1/events', () => {
    it('returns 201 with the new event id, creation time and request id', async () => {
      const res = await api.request('/v1/events', {
        method: 'POST',
        json: eventBody({ metadata: { priority: 'high', correlation_id: 'order-7' } }),
        headers: { 'x-request-id': 'req-123' },
      });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        event_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        status: 'pending',
        message: 'Event created',
        request_id: 'req-123',
      });
      expect(res.headers.get('x-request-id')).toBe('req-123');
    });

    it('stores the event so that GET returns it with its metadata', async () => {
      const id = await createEvent({ metadata: { priority: 'low', team: 'payments' } });
      const res = await api.request(`/v1/events/${id}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        event_id: id,
        source: 'billing',
        event_type: 'invoice.paid',
        payload: { invoice: 'inv_1', amount: 42 },
        status: 'pending',
        metadata: { priority: 'low', team: 'payments' },
      });
      expect(res.body).not.toHaveProperty('acknowledged_at');
    });

    it('generates a request id when the inbound one is not sane, and echoes the correlation id', async () => {
      const res = await api.request('/v1/events', {
        method: 'POST',
        json: eventBody(),
        headers: { 'x-request-id': 'bad id with spaces', 'x-correlation-id': 'corr-1' },
      });
      expect(res.body.request_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers.get('x-request-id')).toBe(res.body.request_id);
      expect(res.headers.get('x-correlation-id')).toBe('corr-1');
    });

    it('returns 401 without an API key and 401 with an unknown one', async () => {
      const missing = await api.request('/v1/events', { method: 'POST', json: eventBody(), key: null });
      const unknown = await api.request('/v1/events', {
        method: 'POST',
        json: eventBody(),
        key: 'tk_not-a-real-key-000000',
      });
      expect(missing.status).toBe(401);
      expect(missing.body.error).toMatchObject({ code: 'UNAUTHORIZED', message: 'Missing X-API-Key header' });
      expect(unknown.status).toBe(401);
      expect(unknown.body.error.code).toBe('UNAUTHORIZED');
    });
  });

  describe('GET /v1/events/:event_id', () => {
    it.each(['not-a-uuid', 'urn:uuid:0b5e6f1c-4a1b-4c2d-9e3f-123456789abc', '0b5e6f1c4a1b4c2d9e3f123456789abc'])(
      'returns 400 when the id %p is not a UUID',
      async (id) => {
        const res = await api.request(`/v1/events/${encodeURIComponent(id)}`);
        expect(res.status).toBe(400);
        expect(res.body.error).toMatchObject({
          code: 'VALIDATION_ERROR',
          message: 'Invalid event_id: must be a UUID',
          details: [{ field: 'event_id', message: 'must be a UUID' }],
        });
      },
    );

    it('returns 404 for an unknown event', async () => {
      const res = await api.request(`/v1/events/${randomUUID()}`);
      expect(res.status).toBe(404);
      expect(res.body.error).toEqual({
        code: 'NOT_FOUND',
        message: expect.stringContaining('not found'),
        details: null,
        request_id: res.headers.get('x-request-id'),
      });
    });

    it('returns 401 without a key', async () => {
      const res = await api.request(`/v1/events/${randomUUID()}`, { key: null });
      expect(res.status).toBe(401);
    });
  });

  describe('POST /v1/events/:event_id/ack', () => {
    it('acknowledges a pending event and removes it from the inbox', async () => {
      const id = await createEvent({ source: 'ack-test' });
      const res = await api.request(`/v1/events/${id}/ack`, { method: 'POST' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        event_id: id,
        status: 'acknowledged',
        acknowledged_at: expect.any(String),
        message: 'Event acknowledged',
        request_id: expect.any(String),
      });
      const got = await api.request(`/v1/events/${id}`);
      expect(got.body).toMatchObject({ status: 'acknowledged', acknowledged_at: res.body.acknowledged_at });
      const inbox = await api.request('/v1/inbox?source=ack-test');
      expect(inbox.body.events).toEqual([]);
    });

    it('returns 409 when the event was already acknowledged', async () => {
      const id = await createEvent();
      expect((await api.request(`/v1/events/${id}/ack`, { method: 'POST' })).status).toBe(200);
      const again = await api.request(`/v1/events/${id}/ack`, { method: 'POST' });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('CONFLICT');
    });

    it('returns 404 for an unknown event and 401 without a key', async () => {
      expect((await api.request(`/v1/events/${randomUUID()}/ack`, { method: 'POST' })).status).toBe(404);
      expect((await api.request(`/v1/events/${randomUUID()}/ack`, { method: 'POST', key: null })).status).toBe(401);
    });
  });

  describe('DELETE /v1/events/:event_id', () => {
    it('deletes the event, and deleting it again still succeeds', async () => {
      const id = await createEvent();
      const first = await api.request(`/v1/events/${id}`, { method: 'DELETE' });
      expect(first.status).toBe(200);
      expect(first.body).toEqual({ event_id: id, message: 'Event deleted', request_id: expect.any(String) });
      expect((await api.request(`/v1/events/${id}`)).status).toBe(404);
      const second = await api.request(`/v1/events/${id}`, { method: 'DELETE' });
      expect(second.status).toBe(200);
    });

    it('returns 401 without a key', async () => {
      expect((await api.request(`/v1/events/${randomUUID()}`, { method: 'DELETE', key: null })).status).toBe(401);
    });
  });

  describe('unknown routes', () => {
    it('answers 404 with the error envelope', async () => {
      const res = await api.request('/v2/nothing', { key: null });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    });

    it('answers 405 for a method a route does not serve', async () => {
      const res = await api.request('/v1/inbox', { method: 'PUT' });
      expect(res.status).toBe(405);
      expect(res.body.error.code).toBe('METHOD_NOT_ALLOWED');
    });
  });
});
