import { randomUUID } from 'node:crypto';
import { eventBody, startTestApi, type TestApi } from '../../../tooling/test-api';

describe('metrics recorded by the running API', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
    const created = await api.request('/v1/events', { method: 'POST', json: eventBody() });
    await api.request('/v1/events', { method: 'POST', json: eventBody({ metadata: { idempotency_key: 'm-1' } }) });
    await api.request('/v1/events', { method: 'POST', json: eventBody({ metadata: { idempotency_key: 'm-1' } }) });
    await api.request('/v1/events', { method: 'POST', json: { source: '' } });
    await api.request(`/v1/events/${created.body.event_id}`);
    await api.request(`/v1/events/${randomUUID()}`);
    await api.request('/v2/unknown', { key: null });
    await api.request('/dashboard/data', { key: null });
    await api.request('/v1/health', { method: 'HEAD', key: null });
  });
  afterAll(async () => {
    await api.close();
  });

  it('counts each API request once per endpoint template, with error types, and nothing else', () => {
    const { total } = api.runtime.metrics.snapshot();
    const post = total.find((e) => e.endpoint === 'POST /v1/events');
    const get = total.find((e) => e.endpoint === 'GET /v1/events/{event_id}');
    expect(post).toMatchObject({ requestCount: 4, errorCount: 0, errorsByType: { VALIDATION_ERROR: 1 } });
    expect(get).toMatchObject({ requestCount: 2, errorsByType: { NOT_FOUND: 1 } });
    expect(post?.latency?.p95Ms).toBeGreaterThan(0);
    expect(total.map((e) => e.endpoint).every((e) => !e.includes('dashboard') && !e.includes('v2'))).toBe(true);
  });

  it('counts HEAD requests as the GET endpoint that serves them', () => {
    expect(api.runtime.metrics.snapshot().total.find((e) => e.endpoint === 'GET /v1/health')?.requestCount).toBe(1);
  });

  it('counts accepted events once: an idempotent replay is not ingested again', () => {
    expect(api.runtime.metrics.snapshot().ingestion.total).toBe(2);
  });

  it('counts lookups by method', () => {
    expect(api.runtime.metrics.snapshot().lookups).toEqual({ gsi: 2, scan: 0 });
  });

  it('serves the same figures on /metrics in the Prometheus format', async () => {
    const res = await api.request('/metrics', { key: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(res.text).toMatch(/triggers_api_requests_total\{endpoint="POST \/v1\/events",status_code="201"\} 3/);
    expect(res.text).toMatch(/triggers_api_events_ingested_total 2/);
    expect(res.text).toMatch(/triggers_api_event_lookups_total\{method="gsi"\} 2/);
  });
});
