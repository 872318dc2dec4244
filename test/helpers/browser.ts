// Real browsers for the end-to-end tests, from Debian's packages (these machines have no browser
// downloads): Chromium driven by playwright-core, Firefox (ESR) by puppeteer-core over WebDriver BiDi,
// which the Firefox ESR that Debian ships speaks (Playwright's BiDi client needs a newer Firefox).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import puppeteer, { type Browser as FirefoxBrowser } from 'puppeteer-core';

/** Where the tests leave screenshots (git-ignored; the README's images are copies). */
const OUTPUT = path.resolve(import.meta.dirname, '../../test-output');

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FIREFOX = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
/** The flags a closed network needs: no background connections, no component updates. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function launchChromium(): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `No Chromium at ${CHROMIUM}: run \`apt-get install -y chromium\` (Debian's package; .ci/run does), or set CHROMIUM_PATH.`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

export function launchFirefox(): Promise<FirefoxBrowser> {
  assert.ok(existsSync(FIREFOX), `No Firefox at ${FIREFOX}: run \`apt-get install -y firefox-esr\` (Debian's package; .ci/run does), or set FIREFOX_PATH.`);
  return puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true });
}

/** A path under the test output folder, created on first use. */
export function outputPath(file: string): string {
  mkdirSync(OUTPUT, { recursive: true });
  return path.join(OUTPUT, file);
}
