import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { CALLERS } from '../helpers/api.js';
import { getRun, json, pollRun, startAsync, type Run } from '../helpers/api-suite.js';
import { launchChromium, outputPath } from '../helpers/browser.js';
import { FIXTURE_CHAINS } from '../helpers/engine.js';
import { eventually } from '../helpers/runs.js';
import { useStack } from '../helpers/stack.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';

// The product's writing-pipeline next to fixture chains: one slow enough to cancel, one with two
// versions, one that waits for a person's approval (an input step).
const chainsDir = mkdtempSync(path.join(tmpdir(), 'chainport-playground-'));
copyFileSync(path.resolve(import.meta.dirname, '../../chains/writing-pipeline.yaml'), path.join(chainsDir, 'writing-pipeline.yaml'));
for (const file of ['slow.yaml', 'json-output.yaml', 'json-output-v1.yaml', 'approval.yaml']) copyFileSync(path.join(FIXTURE_CHAINS, file), path.join(chainsDir, file));
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

  void it('streams a run that waits at an input step: its prompt and form, a refused answer’s errors in the form, then the answer completes it', async () => {
    await page.getByLabel('Chain', { exact: true }).selectOption('approval');
    await page.getByLabel('topic (required)', { exact: true }).fill('input steps');
    await page.getByLabel('Stream (SSE)', { exact: true }).check();
    await page.getByRole('button', { name: 'Run', exact: true }).click();

    // run.waiting on the live stream: the prompt, and one field per property of the step's schema.
    const form = page.getByRole('form', { name: 'Answer approval' });
    await form.getByText('Publish this draft? Draft about input steps', { exact: true }).waitFor({ timeout: 30_000 });
    const status = (await page.locator('.run-status', { hasText: /: waiting_for_input \(approval\)$/ }).textContent()) ?? '';
    const runId = /^(run-[0-9a-z]+):/.exec(status)![1]!;
    assert.equal(await page.locator('[data-agent=writer]').getAttribute('data-status'), 'completed');
    assert.equal(await page.locator('[data-agent=approval]').getAttribute('data-status'), 'input');
    assert.equal(await page.locator('[data-agent=publisher]').getAttribute('data-status'), 'waiting');
    const approved = form.getByLabel('approved (required)', { exact: true });
    assert.deepEqual(await approved.locator('option').allTextContents(), ['—', 'yes', 'no']);
    await form.getByLabel('note', { exact: true }).waitFor();

    // A value the schema refuses, written as raw JSON: the server's 422 errors show in the form.
    const send = form.getByRole('button', { name: 'Send answer' });
    await form.getByLabel('Edit as raw JSON', { exact: true }).check();
    await form.getByLabel('Answer (JSON)', { exact: true }).fill('{"approved": "yes"}');
    await send.click();
    await form.getByRole('alert').filter({ hasText: 'value.approved: Instance type "string" is invalid. Expected "boolean".' }).waitFor();
    // The fields with the required one left out: refused too, by the server.
    await form.getByLabel('Edit as raw JSON', { exact: true }).uncheck();
    await form.getByLabel('note', { exact: true }).fill('ship it from the browser');
    await send.click();
    await form.getByRole('alert').filter({ hasText: 'approved' }).filter({ hasNotText: 'Instance type "string"' }).waitFor();
    const stillWaiting = await getRun(stack.api, runId);
    assert.equal(stillWaiting.status, 'waiting_for_input', 'a refused answer changes nothing');
    assert.equal(await page.locator('.run-status').textContent(), status, 'the page still shows the run waiting');
    await page.screenshot({ path: outputPath('playground-input.png'), fullPage: true });

    await approved.selectOption('yes');
    await send.click();
    assert.equal(await ended('completed'), runId);
    assert.equal(await page.getByLabel('Run output', { exact: true }).textContent(), 'Published: ship it from the browser');
    assert.equal(await form.count(), 0, 'the form goes once the run goes on');
    assert.equal(await page.locator('[data-agent=approval]').getAttribute('data-status'), 'completed');
    assert.match((await page.locator('[data-agent=approval] .meta').textContent()) ?? '', /answered by caller/);
    assert.equal(await page.locator('[data-agent=publisher]').getAttribute('data-status'), 'completed');
    assert.ok(authorized.includes(`${stack.api.url}/api/v1/runs/${runId}/input`), 'the answer is sent with the key');
    const done = await getRun(stack.api, runId);
    assert.deepEqual(
      done.agents.map((a) => [a.name, a.status, a.answered_by]),
      [
        ['writer', 'completed', undefined],
        ['approval', 'completed', 'caller'],
        ['publisher', 'completed', undefined],
      ],
    );
  });

  void it('runs sync into an input step: the 202 at the pause brings the form, and the run is polled to its end after the answer', async () => {
    await page.getByLabel('Chain', { exact: true }).selectOption('approval');
    await page.getByLabel('topic (required)', { exact: true }).fill('sync');
    await page.getByLabel('Sync', { exact: true }).check();
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const form = page.getByRole('form', { name: 'Answer approval' });
    await form.getByText('Publish this draft? Draft about sync', { exact: true }).waitFor({ timeout: 30_000 });
    await page.locator('.run-status', { hasText: /: waiting_for_input \(approval\) · \$/ }).waitFor();
    assert.equal(await page.locator('[data-agent=approval]').getAttribute('data-status'), 'input');
    // Polls go on while the person types: what is filled in stays.
    await form.getByLabel('note', { exact: true }).fill('polled');
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.equal(await form.getByLabel('note', { exact: true }).inputValue(), 'polled');
    await form.getByLabel('approved (required)', { exact: true }).selectOption('yes');
    await form.getByRole('button', { name: 'Send answer' }).click();
    await ended('completed');
    assert.equal(await page.getByLabel('Run output', { exact: true }).textContent(), 'Published: polled');
    assert.match((await page.locator('[data-agent=approval] .meta').textContent()) ?? '', /answered by caller/);
  });

  void it('answers a waiting run opened from past runs, and says so when another answer was taken first', async () => {
    /** A run of approval started through the API, once it waits; then its detail opened from the list, with the answer form. */
    const openWaiting = async (topic: string) => {
      const { run_id: runId } = await startAsync(stack.api, 'approval', { input: { topic } });
      await pollRun(stack.api, runId, (r) => r.status === 'waiting_for_input');
      await page.getByRole('button', { name: 'Refresh runs' }).click();
      await page.locator('.runs li', { hasText: runId }).getByRole('button').click();
      const form = page.locator('.run-detail').getByRole('form', { name: 'Answer approval' });
      await form.getByText(`Publish this draft? Draft about ${topic}`, { exact: true }).waitFor();
      return { runId, form };
    };

    // Answered here: the detail follows the run to its end.
    const { form } = await openWaiting('the list');
    await form.getByLabel('approved (required)', { exact: true }).selectOption('yes');
    await form.getByLabel('note', { exact: true }).fill('answered from past runs');
    await form.getByRole('button', { name: 'Send answer' }).click();
    await page.getByLabel('Past run output', { exact: true }).filter({ hasText: 'Published: answered from past runs' }).waitFor({ timeout: 30_000 });
    assert.match((await page.locator('.run-detail').textContent()) ?? '', /approval: completed, 1 attempt\(s\).*answered by caller/);
    assert.equal(await form.count(), 0);

    // Answered elsewhere while the page still shows the form: the 409 shows as a message, and this form cannot send again.
    const race = await openWaiting('a race');
    await json<Run>(await stack.api.request(`/api/v1/runs/${race.runId}/input`, { body: { step: 'approval', value: { approved: true, note: 'through the API' } } }), 200);
    await race.form.getByLabel('approved (required)', { exact: true }).selectOption('no');
    await race.form.getByRole('button', { name: 'Send answer' }).click();
    await race.form.getByRole('alert').filter({ hasText: /^input_already_provided: / }).waitFor();
    assert.equal(await race.form.getByRole('button', { name: 'Send answer' }).isDisabled(), true);
    assert.equal((await pollRun(stack.api, race.runId, (r) => r.status === 'completed')).output, 'Published: through the API');
  });

  void it('re-runs a past run from one of its agents: the agents before it show reused with their original cost, the rest run live', async () => {
    const { run_id: original } = await startAsync(stack.api, 'writing-pipeline', { input: { topic: 'a rerun' } });
    assert.equal((await pollRun(stack.api, original, (r) => r.status !== 'running', 30_000)).status, 'completed');
    await page.getByRole('button', { name: 'Refresh runs' }).click();
    await page.locator('.runs li', { hasText: original }).getByRole('button').click();
    await page.locator('.run-detail').getByRole('button', { name: 'Re-run from writer' }).click();

    const rerunId = await ended('completed');
    assert.notEqual(rerunId, original);
    const agent = (name: string) => page.locator(`.timeline [data-agent=${name}]`);
    assert.deepEqual(await Promise.all(['outliner', 'writer', 'editor'].map((name) => agent(name).getAttribute('data-status'))), ['reused', 'completed', 'completed']);
    assert.match((await agent('outliner').locator('.meta').textContent()) ?? '', /\$0\.0000 .*reused \(\$0\.\d{4} in the original run\)/);
    assert.match((await agent('writer').locator('.tokens').textContent()) ?? '', /^Draft on a rerun\. /, "the writer's tokens streamed live");
    assert.deepEqual((await getRun(stack.api, rerunId)).rerun_of, { run_id: original, from: 'writer' });
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
