import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, ElementHandle, Page } from 'puppeteer-core';
import { CALLERS } from '../helpers/api.js';
import { launchFirefox, outputPath } from '../helpers/browser.js';
import { useStack } from '../helpers/stack.js';

// The playground in Firefox: the main path (key, streamed run with live tokens, the small screen).
// The full behaviour is specified in playground.test.ts against Chromium; this proves the page's
// script, streaming fetch and layout hold in the other engine. Page-side code is written as strings:
// this file is type-checked without the DOM lib.

const chainsDir = mkdtempSync(path.join(tmpdir(), 'chainport-firefox-'));
copyFileSync(path.resolve(import.meta.dirname, '../../chains/writing-pipeline.yaml'), path.join(chainsDir, 'writing-pipeline.yaml'));

void describe('GET /playground in Firefox', () => {
  const stack = useStack({ env: { CHAINPORT_CHAINS_DIR: chainsDir } });
  let browser: Browser;
  let page: Page;

  before(async () => {
    browser = await launchFirefox();
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
  });
  after(async () => {
    await browser?.close();
  });

  /** The control a label names, as a user finds it. */
  async function byLabel(label: string): Promise<ElementHandle> {
    const handle = await page.evaluateHandle(`[...document.querySelectorAll('label')].find((l) => l.textContent.trim() === ${JSON.stringify(label)})?.control`);
    const element = handle.asElement();
    assert.ok(element, `a control labelled "${label}"`);
    return element as ElementHandle;
  }
  const button = (name: string) => page.locator(`::-p-xpath(//button[normalize-space()=${JSON.stringify(name)}])`);

  void it('streams writing-pipeline with live tokens to a completed run', async () => {
    await page.goto(`${stack.api.url}/playground`);
    await (await byLabel('API key')).type(CALLERS.alice);
    await button('Use key').click();
    await page.waitForSelector('form.run:not([hidden])');
    await (await byLabel('Chain')).select('writing-pipeline');
    await (await byLabel('topic (required)')).type('firefox');
    await (await byLabel('Stream (SSE)')).click();
    await button('Run').click();

    // Live: the writer's tokens show while the editor is still waiting.
    await page.waitForSelector('[data-agent=writer] .tokens:not(:empty)', { timeout: 20_000 });
    assert.equal(await page.$eval('[data-agent=editor]', (el) => el.getAttribute('data-status')), 'waiting');
    await page.waitForFunction(`document.querySelector('.run-status').textContent.includes(': completed ·')`, { timeout: 30_000 });
    const tokens = (agent: string) => page.$eval(`[data-agent=${agent}] .tokens`, (el) => el.textContent);
    assert.match((await tokens('outliner')) ?? '', /^Outline for firefox: .*what to do next\.$/);
    assert.match((await tokens('writer')) ?? '', /^Draft on firefox\. .*call to action\.$/);
    assert.match((await tokens('editor')) ?? '', /^Edited article on firefox: .*Ready to publish\.$/);
    await page.screenshot({ path: outputPath('playground-firefox.png') as `${string}.png`, fullPage: true });
  });

  void it('fits a 375 px wide screen without sideways scrolling', async () => {
    await page.setViewport({ width: 375, height: 800 });
    await page.screenshot({ path: outputPath('playground-firefox-375.png') as `${string}.png`, fullPage: true });
    const wide = await page.evaluate(`[...document.querySelectorAll('body *')].filter((el) => el.getBoundingClientRect().right > 375).map((el) => el.tagName + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right)).slice(0, 15)`);
    assert.deepEqual(wide, []);
    assert.equal(await page.evaluate('document.documentElement.scrollWidth <= 375'), true);
  });
});
