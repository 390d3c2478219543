import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Where Debian's `chromium` package installs the browser. */
export const DEBIAN_CHROMIUM_PATH = '/usr/bin/chromium';

/** Thrown when there is no browser binary to launch. */
export class ChromiumNotInstalledError extends Error {
  constructor(readonly executablePath: string) {
    super(`Chromium is not installed at ${executablePath}: install it with \`apt-get install -y chromium\``);
    this.name = 'ChromiumNotInstalledError';
  }
}

/** Debian's chromium, headless, with the flags this closed network needs (no background connections). */
export function launchChromium(timeoutMs: number, executablePath: string = DEBIAN_CHROMIUM_PATH): Promise<Browser> {
  // Playwright's own message for a missing binary suggests downloading its browsers, which is not how this repo gets one.
  if (!existsSync(executablePath)) return Promise.reject(new ChromiumNotInstalledError(executablePath));
  return chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: timeoutMs,
  });
}
