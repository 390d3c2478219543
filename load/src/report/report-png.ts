/** Renders a report page in headless Chromium and saves a full-page screenshot of it. */
import { pathToFileURL } from 'node:url';
import { launchChromium } from '../../../tooling/chromium';

export interface ReportPngOptions {
  /** The browser binary; Debian's `/usr/bin/chromium` by default. */
  executablePath?: string;
  /** Page width in CSS pixels; the height follows the page. Default 1280. */
  widthPx?: number;
  /** Longest wait for the browser to start and the page to draw, in milliseconds. Default 30,000. */
  timeoutMs?: number;
}

/** Thrown when the page did not draw: a script error or a timeout, with what the page reported. */
export class ReportRenderError extends Error {
  constructor(htmlPath: string, cause: unknown, pageErrors: string[]) {
    const reported = pageErrors.length > 0 ? `; the page reported: ${pageErrors.join('; ')}` : '';
    super(`Could not render ${htmlPath}: ${cause instanceof Error ? cause.message : String(cause)}${reported}`);
    this.name = 'ReportRenderError';
  }
}

/** Opens `htmlPath` in headless Chromium, waits until its charts are drawn and writes a PNG of the whole page. */
export async function writeReportPng(htmlPath: string, pngPath: string, options: ReportPngOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const browser = await launchChromium(timeoutMs, options.executablePath);
  const pageErrors: string[] = [];
  try {
    const page = await browser.newPage({ viewport: { width: options.widthPx ?? 1280, height: 800 } });
    page.setDefaultTimeout(timeoutMs);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    try {
      await page.goto(pathToFileURL(htmlPath).href);
      // The page script sets this once every chart is drawn; a script error means it never comes.
      await page.waitForSelector('body[data-report-ready="true"]', { state: 'attached' });
    } catch (error) {
      throw new ReportRenderError(htmlPath, error, pageErrors);
    }
    await page.screenshot({ path: pngPath, fullPage: true });
  } finally {
    await browser.close();
  }
}
