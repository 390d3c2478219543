import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../../tooling/chromium';
import { SLO_SPEC } from '../../../contract/slo-spec';
import { API_ENDPOINTS } from '../../../contract/metrics';
import { startDashboardServer, type DashboardServer } from './support/dashboard-server';
import { FakeMetricsRecorder, trafficStep } from './support/fake-metrics-recorder';

const SCREENSHOT_PATH = path.resolve(__dirname, '../../../docs/dashboard.png');
const WAIT_MS = 10_000;
const STEPS = 8;

/** What a test can see of one chart, read from `window.__dashboard` in the page. */
interface ChartView {
  title: string;
  labels: string[];
  data: (number | null)[][];
}

/** The parts of a uPlot instance the test reads; the test's tsconfig has no DOM types to describe `root`. */
interface PageChart {
  root: { querySelector(selector: string): { textContent: string | null } | null };
  series: { label?: string }[];
  data: (number | null)[][];
}

/** Reads every chart's title, series labels and data out of the page. */
async function readCharts(page: Page): Promise<Record<string, ChartView>> {
  // Runs in the browser, where the page script put its charts on `window.__dashboard`.
  return page.evaluate(() => {
    const charts: Record<string, PageChart> = (globalThis as any).__dashboard.charts;
    return Object.fromEntries(
      Object.entries(charts).map(([id, chart]) => [
        id,
        {
          title: chart.root.querySelector('.u-title')?.textContent ?? '',
          labels: chart.series.map((s) => s.label ?? ''),
          data: chart.data,
        },
      ]),
    );
  });
}

/** The values of the series with this label, without the x axis. */
function seriesValues(chart: ChartView | undefined, label: string): (number | null)[] {
  const index = chart?.labels.indexOf(label) ?? -1;
  if (!chart || index < 1) throw new Error(`no series '${label}' in ${JSON.stringify(chart?.labels)}`);
  return chart.data[index] ?? [];
}

describe('the dashboard in a headless browser', () => {
  let recorder: FakeMetricsRecorder;
  let server: DashboardServer;
  let browser: Browser;
  let page: Page;
  let charts: Record<string, ChartView>;

  beforeAll(async () => {
    recorder = new FakeMetricsRecorder();
    server = await startDashboardServer(recorder.snapshot);
    browser = await launchChromium(WAIT_MS);
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(WAIT_MS);

    // Fed before the first poll so that every sample the page holds carries traffic.
    recorder.feed(trafficStep(0));
    await page.goto(`${server.url}/dashboard`);
    // Each step waits until the page has drawn it, so the charts hold every step whatever the poll timing.
    for (let step = 0; step < STEPS; step++) {
      const { ingestionRatePerSecond } = trafficStep(step);
      recorder.feed(trafficStep(step));
      await page.waitForFunction(
        (rate) => {
          const samples = (globalThis as any).__dashboard?.samples ?? [];
          return samples[samples.length - 1]?.snapshot.ingestion.ratePerSecond === rate;
        },
        ingestionRatePerSecond,
        { timeout: WAIT_MS },
      );
    }
    charts = await readCharts(page);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('draws one canvas per chart: four summary charts and a latency chart per endpoint', async () => {
    const ids = ['ingestion', 'requests', 'success-rate', 'error-rate', ...API_ENDPOINTS.map((e) => `latency:${e}`)];

    expect(Object.keys(charts).sort()).toEqual([...ids].sort());
    for (const id of ids) {
      await expect(page.locator(`[data-chart="${id}"] canvas`).count()).resolves.toBe(1);
    }
  });

  it('plots the fed figures as they changed, step by step', () => {
    const fedRates = Array.from({ length: STEPS }, (_, step) => trafficStep(step).ingestionRatePerSecond);
    const accepted = seriesValues(charts.ingestion, 'accepted');

    // Polls between feeds repeat a step; what matters is that every step was drawn, in order.
    const drawn = accepted.filter((value, i) => i === 0 || value !== accepted[i - 1]);
    expect(drawn.slice(-STEPS)).toEqual(fedRates);
  });

  it.each(['POST /v1/events', 'GET /v1/inbox', 'GET /v1/events/{event_id}'] as const)(
    'plots p50, p95 and p99 for %s with its p95 target as a line',
    (endpoint) => {
      const chart = charts[`latency:${endpoint}`];
      const target = SLO_SPEC.latency.find((objective) => objective.endpoint === endpoint)?.targetInMillis;

      expect(chart?.title).toBe(`${endpoint} latency (ms)`);
      for (const percentile of ['p50', 'p95', 'p99'] as const) {
        const values = seriesValues(chart, percentile);
        expect(values.length).toBeGreaterThanOrEqual(STEPS);
        expect(values.at(-1)).toBe(
          trafficStep(STEPS - 1).endpoints.find((e) => e.endpoint === endpoint)?.latency?.[`${percentile}Ms`],
        );
      }
      expect(new Set(seriesValues(chart, `SLO p95 < ${target} ms`))).toEqual(new Set([target]));
    },
  );

  it('draws no latency target for an endpoint without a latency objective', () => {
    expect(charts['latency:GET /v1/health']?.labels.filter((label) => label.startsWith('SLO'))).toEqual([]);
  });

  it('draws the success, error-rate and ingestion targets from the spec', () => {
    const minimumSuccess = SLO_SPEC.successRate[0]?.minimumPercent;
    const { maximumPercent } = SLO_SPEC.errorRate;
    const { minimumEventsPerSecond } = SLO_SPEC.ingestion;

    expect(new Set(seriesValues(charts['success-rate'], `SLO ≥ ${minimumSuccess} %`))).toEqual(new Set([99.9]));
    expect(new Set(seriesValues(charts['error-rate'], `SLO ≤ ${maximumPercent} %`))).toEqual(new Set([0.1]));
    expect(new Set(seriesValues(charts.ingestion, `SLO ≥ ${minimumEventsPerSecond}/s`))).toEqual(new Set([1000]));
  });

  it('plots request counts and success rates per endpoint, leaving a gap where an endpoint had no traffic', () => {
    const last = trafficStep(STEPS - 1);
    const inbox = last.endpoints.find((e) => e.endpoint === 'GET /v1/inbox');

    expect(seriesValues(charts.requests, 'GET /v1/inbox').at(-1)).toBe(inbox?.requestCount);
    expect(seriesValues(charts['success-rate'], 'GET /v1/inbox').at(-1)).toBe(100);
    expect(seriesValues(charts['success-rate'], 'DELETE /v1/events/{event_id}').every((v) => v === null)).toBe(true);
    expect(seriesValues(charts['error-rate'], 'all endpoints').every((v) => typeof v === 'number')).toBe(true);
  });

  it('shows that data is flowing and saves a screenshot', async () => {
    await expect(page.locator('#status').getAttribute('data-state')).resolves.toBe('ok');

    await page.screenshot({ path: SCREENSHOT_PATH, fullPage: true, timeout: WAIT_MS });
  });
});
