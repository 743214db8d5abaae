/**
 * Headless Chromium for the tests that need a real browser (the SDK in a page, the docs page):
 * Debian's `chromium` package driven by playwright-core, which downloads no browser of its own.
 * `.ci/run` installs the package, so CI always has it; elsewhere a test that needs it says how to
 * get it instead of failing obscurely.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Where Debian's `chromium` package puts the browser; `CHROMIUM_PATH` overrides it. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why Chromium cannot be launched here, or `undefined` when it can. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM_PATH)
    ? undefined
    : `no Chromium at ${CHROMIUM_PATH}: install Debian's chromium package (apt-get install chromium) or set CHROMIUM_PATH`;
}

/**
 * Launches Chromium headless, with no network of its own (no background requests, no updates,
 * no sync), so that it only talks to the pages a test serves. The caller closes it.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
