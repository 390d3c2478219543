import type { FaultProxy } from '../../../tooling/fault-proxy';
import { startTestApiBehindProxy, type TestApi } from '../../../tooling/test-api';

/** Longer than the probe's cache: the next health request probes again. */
const AFTER_CACHE_MS = 1100;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('GET /v1/health reports whether the store answers', () => {
  let api: TestApi;
  let proxy: FaultProxy;

  beforeAll(async () => {
    const behind = await startTestApiBehindProxy();
    api = behind;
    proxy = behind.proxy;
  });
  afterAll(async () => {
    await api.close();
  });

  it('answers 200 while the store is reachable, 503 in the error envelope while it is not, and 200 again after', async () => {
    const healthy = await api.request('/v1/health', { key: null });
    proxy.mode = 'drop';
    await sleep(AFTER_CACHE_MS);
    const down = await api.request('/v1/health', { key: null });
    proxy.reset();
    await sleep(AFTER_CACHE_MS);
    const back = await api.request('/v1/health', { key: null });

    expect(healthy.status).toBe(200);
    expect(healthy.body).toMatchObject({ status: 'healthy' });
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('2');
    expect(down.body).toEqual({
      error: {
        code: 'SERVICE_UNAVAILABLE',
        message: expect.stringMatching(/^Not healthy: the event store is unreachable/),
        details: {
          status: 'unhealthy',
          reason: expect.stringMatching(/^the event store is unreachable/),
          checks: { store: 'unreachable' },
        },
        request_id: down.headers.get('x-request-id'),
      },
    });
    expect(back.status).toBe(200);
  });

  it('answers many concurrent health requests with one store probe', async () => {
    await sleep(AFTER_CACHE_MS);
    // The probe is held at the proxy (within its 1 s timeout), so the requests below arrive while it is in flight.
    proxy.holdNext('DescribeTable', '', 700);
    const firstProbe = proxy.received('DescribeTable');
    const answering = Promise.all(Array.from({ length: 50 }, () => api.request('/v1/health', { key: null })));
    await firstProbe;
    let anotherProbe = false;
    void proxy.received('DescribeTable').then(() => (anotherProbe = true));
    const answers = await answering;

    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 50 }, () => 200));
    expect(anotherProbe).toBe(false);
  });
});
