import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CALLERS } from '../helpers/api.js';
import { FIXTURE_CHAINS } from '../helpers/engine.js';
import { useStack } from '../helpers/stack.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The flags a closed network needs: no background connections, no component updates. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const OUTPUT = path.resolve(import.meta.dirname, '../../test-output');

// The product's writing-pipeline next to the fixture chain that runs slowly enough to cancel.
const chainsDir = mkdtempSync(path.join(tmpdir(), 'chainport-playground-'));
copyFileSync(path.resolve(import.meta.dirname, '../../chains/writing-pipeline.yaml'), path.join(chainsDir, 'writing-pipeline.yaml'));
copyFileSync(path.join(FIXTURE_CHAINS, 'slow.yaml'), path.join(chainsDir, 'slow.yaml'));

void describe('GET /playground in Chromium', () => {
  const stack = useStack({ env: { CHAINPORT_CHAINS_DIR: chainsDir } });
  let browser: Browser;
  let page: Page;
  const urls: string[] = [];
  const authorized: string[] = [];

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `No Chromium at ${CHROMIUM}: run \`apt-get install -y chromium\` (Debian's package; .ci/run does), or set CHROMIUM_PATH.`);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('request', (request) => {
      urls.push(request.url());
      if (request.headers().authorization) authorized.push(request.url());
    });
  });
  after(async () => {
    await browser?.close();
  });

  void it('serves the page with no-cache and its hashed assets as immutable', async () => {
    const res = await page.goto(`${stack.api.url}/playground`);
    assert.equal(res?.status(), 200);
    assert.equal(res?.headers()['cache-control'], 'no-cache');
    const script = await page.locator('script[type=module]').getAttribute('src');
    assert.match(script ?? '', /^\/playground\/assets\/index-[\w-]+\.js$/);
    const asset = await fetch(`${stack.api.url}${script}`);
    assert.equal(asset.status, 200);
    assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal((await fetch(`${stack.api.url}/playground/assets/..%2F..%2Fpackage.json`)).status, 404);
  });

  void it('streams writing-pipeline: every agent’s tokens appear live, then the run completes', async () => {
    await page.getByLabel('API key', { exact: true }).fill(CALLERS.alice);
    await page.getByRole('button', { name: 'Use key' }).click();
    await page.getByLabel('Chain', { exact: true }).selectOption('writing-pipeline');
    await page.getByLabel('topic (required)', { exact: true }).fill('durable agents');
    await page.getByLabel('Stream (SSE)', { exact: true }).check();
    assert.match((await page.getByLabel('curl command', { exact: true }).textContent()) ?? '', /\/api\/v1\/chains\/writing-pipeline@1\/stream/);
    await page.getByRole('button', { name: 'Run', exact: true }).click();

    // Live: the writer's tokens show while the editor has not started.
    await page.locator('[data-agent=writer] .tokens', { hasText: /\S/ }).waitFor();
    assert.equal(await page.locator('[data-agent=editor]').getAttribute('data-status'), 'waiting');
    await page.locator('.run-status', { hasText: /: completed/ }).waitFor({ timeout: 30_000 });
    const tokens = async (agent: string) => page.locator(`[data-agent=${agent}] .tokens`).textContent();
    assert.match((await tokens('outliner')) ?? '', /^Outline for durable agents: .*what to do next\.$/);
    assert.match((await tokens('writer')) ?? '', /^Draft on durable agents\. .*call to action\.$/);
    assert.match((await tokens('editor')) ?? '', /^Edited article on durable agents: .*Ready to publish\.$/);
    for (const agent of ['outliner', 'writer', 'editor']) assert.equal(await page.locator(`[data-agent=${agent}]`).getAttribute('data-status'), 'completed');

    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: path.join(OUTPUT, 'playground.png'), fullPage: true });
  });

  void it('cancels a slow run from the Cancel button', async () => {
    await page.getByLabel('Chain', { exact: true }).selectOption('slow');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.locator('[data-agent=plodder] .tokens', { hasText: /\S/ }).waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('.run-status', { hasText: /: cancelled/ }).waitFor({ timeout: 20_000 });
    assert.notEqual(await page.locator('[data-agent=finisher]').getAttribute('data-status'), 'completed');
  });

  void it('checks the input against the schema before sending anything', async () => {
    await page.getByLabel('Chain', { exact: true }).selectOption('writing-pipeline');
    const sent = urls.length;
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'topic: required.' }).waitFor();
    assert.equal(urls.slice(sent).filter((url) => url.includes('/api/v1/chains/')).length, 0);
  });

  void it('runs async + poll, then shows the run among past runs with its agents and deliveries', async () => {
    await page.getByLabel('topic (required)', { exact: true }).fill('polling');
    await page.getByLabel('Async + poll', { exact: true }).check();
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.locator('.run-status', { hasText: /: completed/ }).waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('[data-agent=editor]').getAttribute('data-status'), 'completed');
    await page.getByRole('list', { name: 'Past runs' }).getByRole('button').first().click();
    await page.locator('.run-detail', { hasText: 'No webhook deliveries.' }).waitFor();
    assert.match((await page.locator('.run-detail').textContent()) ?? '', /editor: completed, 1 attempt\(s\)/);
  });

  void it('sends the key only as a Bearer header, never in a URL', () => {
    assert.ok(authorized.some((url) => url.includes('/api/v1/chains/writing-pipeline%401/stream')));
    assert.deepEqual(urls.filter((url) => url.includes(CALLERS.alice)), []);
  });

  void it('fits a 375 px wide screen without sideways scrolling', async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    // Page-side expressions as strings: this file is type-checked without the DOM lib.
    assert.equal(await page.evaluate('document.documentElement.scrollWidth <= 375'), true);
    const unlabelled = await page.evaluate(`[...document.querySelectorAll('input, select, textarea')].filter((el) => !el.labels.length && !el.getAttribute('aria-label')).map((el) => el.outerHTML)`);
    assert.deepEqual(unlabelled, []);
    await page.screenshot({ path: path.join(OUTPUT, 'playground-375.png'), fullPage: true });
  });
});
