import type { EventItem } from '../../src/store/event-item';
import { seedLegacyEvents } from '../../src/store/legacy-seed';
import { captureLogger } from '../../../tooling/captured-logger';
import { eventBody, startTestApi, type TestApi } from '../../../tooling/test-api';

describe('a legacy events table without event-id-index', () => {
  let api: TestApi;
  let legacyIds: string[];
  let legacyItems: EventItem[];
  const log = captureLogger();

  beforeAll(async () => {
    api = await startTestApi({ legacy: true, logger: log.logger });
    const items = await seedLegacyEvents(api.runtime.clients.doc, {
      tableName: api.config.tables.events,
      count: 120,
      tenants: ['acme', 'globex'],
    });
    legacyItems = items;
    legacyIds = items.filter((item) => item.tenant_id === 'acme').map((item) => item.sk.split('#').at(-1) ?? '');
  });
  afterAll(async () => {
    await api.close();
  });

  it('serves GET for legacy items, whose id lives only in sk', async () => {
    const id = legacyIds[37];
    const res = await api.request(`/v1/events/${id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ event_id: id, source: expect.stringMatching(/^legacy-source-/) });
  });

  it('serves GET, ack and delete for events written by this version', async () => {
    const created = await api.request('/v1/events', { method: 'POST', json: eventBody() });
    const id = created.body.event_id as string;
    expect((await api.request(`/v1/events/${id}`)).body.event_id).toBe(id);
    expect((await api.request(`/v1/events/${id}/ack`, { method: 'POST' })).status).toBe(200);
    expect((await api.request(`/v1/events/${id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await api.request(`/v1/events/${id}`)).status).toBe(404);
  });

  it('acknowledges a pending legacy event found by scanning the tenant partition', async () => {
    const pending = legacyItems.find((item) => item.tenant_id === 'acme' && item.status === 'pending');
    const id = pending?.sk.split('#').at(-1) ?? '';
    const res = await api.request(`/v1/events/${id}/ack`, {
      method: 'POST',
      headers: { 'x-request-id': 'legacy-ack' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ event_id: id, status: 'acknowledged' });
    const access = log.lines().find((l) => l.request_id === 'legacy-ack' && l.message === 'Request completed');
    expect(access).toMatchObject({ lookup_method: 'scan', status_code: 200 });
    expect((await api.request(`/v1/events/${id}`)).body.status).toBe('acknowledged');
  });

  it("does not find another tenant's legacy event", async () => {
    const res = await api.request(`/v1/events/${legacyIds[3]}`, { key: api.keys.globex });
    expect(res.status).toBe(404);
  });
});
