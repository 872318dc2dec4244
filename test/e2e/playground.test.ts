import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { CALLERS } from '../helpers/api.js';
import { launchChromium, outputPath } from '../helpers/browser.js';
import { FIXTURE_CHAINS } from '../helpers/engine.js';
import { eventually } from '../helpers/runs.js';
import { useStack } from '../helpers/stack.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';

// The product's writing-pipeline next to fixture chains: one slow enough to cancel, one with two versions.
const chainsDir = mkdtempSync(path.join(tmpdir(), 'chainport-playground-'));
copyFileSync(path.resolve(import.meta.dirname, '../../chains/writing-pipeline.yaml'), path.join(chainsDir, 'writing-pipeline.yaml'));
for (const file of ['slow.yaml', 'json-output.yaml', 'json-output-v1.yaml']) copyFileSync(path.join(FIXTURE_CHAINS, file), path.join(chainsDir, file));
const TEMPORAL_UI = 'http://127.0.0.1:8233';

void describe('GET /playground in Chromium', () => {
  const stack = useStack({
    env: { CHAINPORT_CHAINS_DIR: chainsDir, TEMPORAL_UI_URL: TEMPORAL_UI, CHAINPORT_WEBHOOK_ALLOW_PRIVATE: 'true', CHAINPORT_WEBHOOK_MAX_ATTEMPTS: '1' },
  });
  let browser: Browser;
  let page: Page;
  const urls: string[] = [];
  const authorized: string[] = [];

  before(async () => {
    browser = await launchChromium();
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

  void it('never fills in a key when callers are configured', async () => {
    await page.goto(`${stack.api.url}/playground`);
    await page.getByRole('button', { name: 'Use key' }).waitFor();
    assert.equal(await page.getByLabel('API key', { exact: true }).inputValue(), '');
    assert.equal((await fetch(`${stack.api.url}/playground/local-key`)).status, 404);
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

    await page.screenshot({ path: outputPath('playground.png'), fullPage: true });
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

  /** The run id the page shows once a run has ended with `status`. */
  async function ended(status: string): Promise<string> {
    const text = await page.locator('.run-status', { hasText: new RegExp(`: ${status} ·`) }).textContent({ timeout: 30_000 });
    return /^(run-[0-9a-z]+):/.exec(text ?? '')![1]!;
  }

  void it('runs sync, shows the output and links the run in the Temporal UI', async () => {
    await page.getByLabel('Chain', { exact: true }).selectOption('writing-pipeline');
    await page.getByLabel('topic (required)', { exact: true }).fill('waiting');
    await page.getByLabel('Sync', { exact: true }).check();
    assert.match((await page.getByLabel('curl command', { exact: true }).textContent()) ?? '', /\/api\/v1\/chains\/writing-pipeline@1 \\/);
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const runId = await ended('completed');
    assert.match((await page.getByLabel('Run output', { exact: true }).textContent()) ?? '', /^Edited article on waiting: .*Ready to publish\.$/);
    const link = page.getByRole('region', { name: 'Run', exact: true }).getByRole('link', { name: 'Open in Temporal UI' });
    assert.equal(await link.getAttribute('href'), `${TEMPORAL_UI}/namespaces/default/workflows/${runId}`);
    assert.equal(await link.getAttribute('target'), '_blank');
  });

  void it('cancels a sync run on the server, not just the wait', async () => {
    await page.getByLabel('Chain', { exact: true }).selectOption('slow');
    await page.getByLabel('Sync', { exact: true }).check();
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await page.getByRole('button', { name: 'Cancel' }).click();
    const runId = await ended('cancelled');
    const run = (await (await fetch(`${stack.api.url}/api/v1/runs/${runId}`, { headers: { authorization: `Bearer ${CALLERS.alice}` } })).json()) as { status: string };
    assert.equal(run.status, 'cancelled');
  });

  void it('switches versions: each version has its own agents and output', async () => {
    await page.getByLabel('Chain', { exact: true }).selectOption('json-output');
    const versions = page.getByLabel('Version', { exact: true });
    assert.deepEqual(await versions.locator('option').allTextContents(), ['v2', 'v1']);
    assert.equal(await versions.inputValue(), '2');
    await versions.selectOption('1');
    await page.getByLabel('curl command', { exact: true }).filter({ hasText: 'json-output@1' }).waitFor();
    await page.getByLabel('Stream (SSE)', { exact: true }).check();
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await ended('completed');
    assert.deepEqual(await page.locator('[data-agent]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-agent'))), ['only']);
    assert.equal(await page.getByLabel('Run output', { exact: true }).textContent(), 'version one');
  });

  void it('sends a webhook, then redelivers the failed delivery from past runs with the same webhook-id', async () => {
    const receiver = await startWebhookReceiver(() => ({ status: 500 }));
    try {
      await page.getByLabel('Chain', { exact: true }).selectOption('json-output');
      await page.getByLabel('Async + poll', { exact: true }).check();
      await page.getByLabel('Webhook URL (async + poll)', { exact: true }).fill(receiver.url);
      assert.match((await page.getByLabel('Client snippet', { exact: true }).textContent()) ?? '', /webhook: \{"url":"http:\/\/127\.0\.0\.1:\d+/);
      await page.getByRole('button', { name: 'Run', exact: true }).click();
      const runId = await ended('completed');
      assert.match((await page.locator('.secret').textContent()) ?? '', /^Webhook secret \(shown once\): whsec_[A-Za-z0-9+/=]{20,}$/);
      const [first] = await receiver.waitFor(1);
      receiver.answer(() => ({ status: 200 }));

      // The page lists the run; its delivery shows failed once its one attempt is recorded.
      const redeliver = page.getByRole('button', { name: 'Redeliver chain.completed' });
      await eventually(async () => {
        await page.getByRole('button', { name: 'Refresh runs' }).click();
        await page.locator('.runs li', { hasText: runId }).getByRole('button').click();
        return (await redeliver.isVisible()) ? true : undefined;
      }, 30_000, 'the failed delivery listed');
      await redeliver.click();
      await page.locator('.delivery[data-status=delivered]').waitFor({ timeout: 30_000 });
      assert.match((await page.locator('.delivery').textContent()) ?? '', /^chain\.completed → http:\/\/127\.0\.0\.1:\d+\/hooks: delivered \(2 attempt\(s\)\)/);
      const [, second] = await receiver.waitFor(2);
      assert.equal(second?.headers['webhook-id'], first?.headers['webhook-id']);
    } finally {
      await receiver.close();
    }
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
    await page.screenshot({ path: outputPath('playground-375.png'), fullPage: true });
  });
});

void describe('GET /playground in local mode (npm start, no caller configured)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chainport-local-mode-'));
  const stack = useStack({ env: { CHAINPORT_CHAINS_DIR: chainsDir, CHAINPORT_DATA_DIR: dataDir }, api: { callers: false } });
  let browser: Browser;

  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  void it('comes with the development key filled in and runs a chain without pasting anything', async () => {
    const page = await browser.newPage();
    await page.goto(`${stack.api.url}/playground`);
    await page.getByRole('status').filter({ hasText: /^Local mode: the development key is filled in\. Key accepted/ }).waitFor();
    assert.equal(await page.getByLabel('API key', { exact: true }).inputValue(), stack.api.devKey);
    await page.getByLabel('Chain', { exact: true }).selectOption('writing-pipeline');
    await page.getByLabel('topic (required)', { exact: true }).fill('local mode');
    await page.getByLabel('Sync', { exact: true }).check();
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.locator('.run-status', { hasText: /: completed ·/ }).waitFor({ timeout: 30_000 });
    assert.match((await page.getByLabel('Run output', { exact: true }).textContent()) ?? '', /^Edited article on local mode: /);
  });

  void it('offers the key only to a same-origin request on a loopback name, never through a proxy or another name', async () => {
    // node:http, not fetch: fetch always sends its own Host header.
    const localKey = (headers: Record<string, string> = {}) =>
      new Promise<{ status: number; cacheControl: string | undefined; body: string }>((resolve, reject) => {
        http.get(`${stack.api.url}/playground/local-key`, { headers }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, cacheControl: res.headers['cache-control'], body }));
        }).on('error', reject);
      });
    const local = await localKey();
    assert.equal(local.status, 200);
    assert.equal(local.cacheControl, 'no-store');
    assert.deepEqual(JSON.parse(local.body), { api_key: stack.api.devKey });
    // A page on another name that resolves here (DNS rebinding), a proxy in front, a cross-site fetch.
    const refused: Array<Record<string, string>> = [{ host: 'evil.example' }, { 'x-forwarded-for': '203.0.113.7' }, { forwarded: 'for=203.0.113.7' }, { 'sec-fetch-site': 'cross-site' }];
    for (const headers of refused) {
      assert.equal((await localKey(headers)).status, 404, JSON.stringify(headers));
    }
  });
});
