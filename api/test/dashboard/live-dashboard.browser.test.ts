import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../../tooling/chromium';
import { eventBody, startTestApi, type TestApi } from '../../../tooling/test-api';

const SCREENSHOT_PATH = path.resolve(__dirname, '../../../docs/dashboard-live.png');
const WAIT_MS = 15_000;

/** Drives real API traffic for `seconds`: creates, reads, inbox polls and a few client errors. */
async function traffic(api: TestApi, seconds: number): Promise<void> {
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    const created = await Promise.all(
      Array.from({ length: 20 }, () => api.request('/v1/events', { method: 'POST', json: eventBody() })),
    );
    await Promise.all(created.slice(0, 5).map((res) => api.request(`/v1/events/${res.body.event_id}`)));
    await api.request('/v1/inbox?limit=20');
    await api.request('/v1/events', { method: 'POST', json: { source: '' } });
  }
}

describe('the live dashboard of the running API, after real traffic', () => {
  let api: TestApi;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    api = await startTestApi();
    browser = await launchChromium(WAIT_MS);
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(WAIT_MS);
    await page.goto(`${api.url}/dashboard`);
    await traffic(api, 4);
    // The page polls every second: wait until it has drawn the traffic.
    await page.waitForFunction(() => {
      const samples = (globalThis as any).__dashboard?.samples ?? [];
      const last = samples[samples.length - 1]?.snapshot;
      return (last?.total ?? []).some((e: any) => e.endpoint === 'POST /v1/events' && e.requestCount >= 100);
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('plots the API latency of POST /v1/events with data points and its SLO line', async () => {
    const chart = await page.evaluate(() => {
      const c = (globalThis as any).__dashboard.charts['latency:POST /v1/events'];
      return { labels: c.series.map((s: any) => s.label as string), data: c.data as (number | null)[][] };
    });
    const p95 = chart.data[chart.labels.indexOf('p95')] ?? [];
    const slo = chart.data[chart.labels.indexOf('SLO p95 < 100 ms')] ?? [];
    expect(p95.filter((v) => typeof v === 'number' && v > 0).length).toBeGreaterThan(0);
    expect(new Set(slo)).toEqual(new Set([100]));
  });

  it('counts the accepted events in the ingestion chart and the client errors in the request counts', async () => {
    const snapshot = await page.evaluate(() => {
      const samples = (globalThis as any).__dashboard.samples;
      return samples[samples.length - 1].snapshot;
    });
    expect(snapshot.ingestion.total).toBeGreaterThanOrEqual(100);
    const post = snapshot.total.find((e: any) => e.endpoint === 'POST /v1/events');
    expect(post.errorsByType.VALIDATION_ERROR).toBeGreaterThan(0);
    // Client errors do not count against the success rate.
    expect(post.successRatePercent).toBe(100);
  });

  it('draws the charts and saves a screenshot', async () => {
    await expect(page.locator('[data-chart="ingestion"] canvas').count()).resolves.toBe(1);
    await page.screenshot({ path: SCREENSHOT_PATH, fullPage: true, timeout: WAIT_MS });
  });
});
