import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { ChromiumNotInstalledError, launchChromium } from '../../../tooling/chromium';
import type { LoadSummary } from '../../scenarios/summary-format';
import { reportHtml } from '../../src/report/report-html';
import { writeReportPng } from '../../src/report/report-png';
import { syntheticSummary } from '../../src/synthetic-summary';

const WAIT_MS = 15_000;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A report page opened in the browser, with everything it said and asked for. */
interface OpenedReport {
  page: Page;
  errors: string[];
  requests: string[];
}

/** What a test can see of one drawn chart. */
interface ChartView {
  canvas: { width: number; height: number } | null;
  legend: string[];
  markers: string[];
}

describe('the load report in a headless browser', () => {
  let dir: string;
  let browser: Browser;

  /** Writes the report of `summary` to a file, opens it and waits until the page says it is drawn. */
  async function openReport(summary: LoadSummary, name: string): Promise<OpenedReport> {
    const file = path.join(dir, `${name}.html`);
    writeFileSync(file, reportHtml(summary));
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(WAIT_MS);
    const opened: OpenedReport = { page, errors: [], requests: [] };
    page.on('console', (message) => {
      if (message.type() === 'error') opened.errors.push(message.text());
    });
    page.on('pageerror', (error) => opened.errors.push(error.message));
    page.on('request', (request) => opened.requests.push(request.url()));
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('body[data-report-ready="true"]', { state: 'attached' });
    return opened;
  }

  async function readChart(page: Page, id: string): Promise<ChartView> {
    const chart = page.locator(`[data-chart="${id}"]`);
    return {
      canvas: await chart.locator('canvas').boundingBox(),
      legend: await chart.locator('.u-legend .u-label').allTextContents(),
      markers: await chart.locator('.marker').allTextContents(),
    };
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'load-report-'));
    browser = await launchChromium(WAIT_MS);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('of a local-runner run', () => {
    let report: OpenedReport;

    beforeAll(async () => {
      report = await openReport(syntheticSummary({ scenario: 'inbox_polling' }), 'inbox');
    }, 60_000);

    afterAll(() => report?.page.close());

    it.each(['latency', 'throughput'])('draws the %s chart on a canvas of non-zero size', async (id) => {
      const { canvas } = await readChart(report.page, id);

      expect(canvas?.width).toBeGreaterThan(0);
      expect(canvas?.height).toBeGreaterThan(0);
      await expect(report.page.locator(`[data-chart="${id}"] canvas`).count()).resolves.toBe(1);
    });

    it('lists the percentiles and the p95 targets in the latency legend', async () => {
      const { legend } = await readChart(report.page, 'latency');

      expect(legend).toEqual(
        expect.arrayContaining([
          'p50',
          'p95',
          'p99',
          'SLO p95 < 100 ms (POST /v1/events)',
          'SLO p95 < 200 ms (GET /v1/inbox)',
        ]),
      );
    });

    it('lists the target rate, iterations, events accepted and failures in the throughput legend', async () => {
      const { legend } = await readChart(report.page, 'throughput');

      expect(legend).toEqual(
        expect.arrayContaining([
          'target rate',
          'iterations started',
          'dropped iterations',
          'events accepted',
          'failed requests',
        ]),
      );
    });

    it('hands uPlot the figures of every second', async () => {
      const data = await report.page.evaluate(() => (globalThis as any).__report.charts.latency.data as number[][]);

      expect(data[0]).toHaveLength(60);
    });

    it('logs no console errors and requests nothing but the file itself', () => {
      expect(report.errors).toEqual([]);
      expect(report.requests.filter((url) => !url.startsWith('file:'))).toEqual([]);
    });
  });

  it('marks the knee of a stress run on both charts', async () => {
    const summary = syntheticSummary({ scenario: 'stress_test', seconds: 90 });
    const { page, errors } = await openReport(summary, 'stress');

    for (const id of ['latency', 'throughput']) {
      const { markers } = await readChart(page, id);
      expect(markers).toEqual([`knee at ${summary.knee?.atSeconds} s`]);
      const box = await page.locator(`[data-chart="${id}"] .marker`).boundingBox();
      expect(box?.height).toBeGreaterThan(0);
    }
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows the note instead of charts for a run without a timeline, without errors', async () => {
    const { page, errors } = await openReport(syntheticSummary({ generator: 'k6', timeline: 'none' }), 'k6');

    await expect(page.locator('#no-timeline').isVisible()).resolves.toBe(true);
    await expect(page.locator('canvas').count()).resolves.toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('writeReportPng', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'load-report-png-'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a PNG of the whole page', async () => {
    const html = path.join(dir, 'report.html');
    const png = path.join(dir, 'report.png');
    writeFileSync(html, reportHtml(syntheticSummary()));

    await writeReportPng(html, png, { timeoutMs: WAIT_MS });

    const bytes = readFileSync(png);
    expect(bytes.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    // IHDR follows the signature: width and height as big-endian 32-bit integers.
    expect(bytes.readUInt32BE(16)).toBe(1280);
    // Taller than the viewport: the header, the table and two charts.
    expect(bytes.readUInt32BE(20)).toBeGreaterThan(900);
    expect(statSync(png).size).toBeGreaterThan(20_000);
  }, 60_000);

  it('fails naming the path and how to install Chromium when it is missing', async () => {
    const html = path.join(dir, 'missing.html');
    writeFileSync(html, reportHtml(syntheticSummary()));

    const written = writeReportPng(html, path.join(dir, 'missing.png'), {
      executablePath: path.join(dir, 'no-chromium'),
    });

    await expect(written).rejects.toThrow(ChromiumNotInstalledError);
    await expect(written).rejects.toThrow(
      `Chromium is not installed at ${path.join(dir, 'no-chromium')}: install it with \`apt-get install -y chromium\``,
    );
  });
});
