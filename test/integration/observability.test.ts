import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { CALLERS, startTestApi, type TestApi } from '../helpers/api.js';
import { captureLogs } from '../helpers/log-capture.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';
import { startTestTemporal, type TestTemporal } from '../helpers/temporal.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const METRICS_TOKEN = 'metrics-token-for-tests';

describe('observability: metrics, logs, the Temporal UI', () => {
  let temporal: TestTemporal;
  let fake: FakeLlm;
  let hooks: WebhookReceiver;
  let engine: TestEngine;
  let api: TestApi;
  const { lines: logLines, log } = captureLogs();

  before(async () => {
    fake = await startFakeLlm(() => ({ type: 'stream', chunks: ['an ', 'answer'] }));
    hooks = await startWebhookReceiver();
    temporal = await startTestTemporal();
    try {
      engine = await startEngine(temporal.address, {
        CHAINPORT_METRICS_TOKEN: METRICS_TOKEN,
        TEMPORAL_UI_URL: 'http://127.0.0.1:8233',
        OPENAI_BASE_URL: fake.baseUrl,
        OPENAI_API_KEY: 'sk-test',
        CHAINPORT_WEBHOOK_ALLOW_PRIVATE: 'true',
      });
      await engine.startWorker();
      api = await startTestApi(engine, { log });
    } catch (err) {
      await engine?.stop();
      await temporal.stop();
      throw err;
    }
  });
  after(async () => {
    await api?.close();
    await engine?.stop();
    await temporal?.stop();
    await hooks?.close();
    await fake?.close();
  });

  it('serves Prometheus metrics only with the metrics token, never with an API key', async () => {
    assert.equal((await api.request('/metrics', { key: null })).status, 401);
    assert.equal((await api.request('/metrics', { key: CALLERS.alice })).status, 401);
    const res = await api.request('/metrics', { key: METRICS_TOKEN });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
  });

  it('counts requests by route, runs started and ended by chain, agent durations and rate-limit rejections', async () => {
    const run = await api.request('/api/v1/chains/chain-3', { body: { input: { topic: 'metrics' } } });
    assert.equal(run.status, 200);
    const { run_id: runId } = (await run.json()) as { run_id: string };
    await api.request(`/api/v1/runs/${runId}`);
    const text = await (await api.request('/metrics', { key: METRICS_TOKEN })).text();
    assert.match(text, /chainport_http_requests_total\{route="\/api\/v1\/chains\/:chain",method="POST",status="200"\} \d+/);
    assert.match(text, /chainport_http_requests_total\{route="\/api\/v1\/runs\/:run_id",method="GET",status="200"\} \d+/);
    assert.doesNotMatch(text, new RegExp(runId), 'ids never become labels');
    assert.match(text, /chainport_runs_started_total\{chain="chain-3"\} [1-9]/);
    assert.match(text, /chainport_runs_ended_total\{chain="chain-3",status="completed"\} [1-9]/);
    assert.match(text, /chainport_agent_duration_seconds_count\{kind="simulated",outcome="completed"\} [1-9]/);
    assert.match(text, /chainport_agent_cost_usd_total\{kind="simulated"\} /);
    assert.match(text, /chainport_rate_limit_rejections_total/);
    assert.match(text, /chainport_sse_open_streams/);
  });

  it('logs one structured line per request with request_id, caller_id and run_id, and never the key', async () => {
    const res = await api.request('/api/v1/chains/chain-3/runs', { body: { input: { topic: 'logs' } }, headers: { 'x-request-id': 'req-observability-1' } });
    const { run_id: runId } = (await res.json()) as { run_id: string };
    const line = logLines.find((l) => l.request_id === 'req-observability-1');
    assert.ok(line, 'the request was logged');
    assert.equal(line.caller_id, 'alice');
    assert.equal(line.run_id, runId);
    assert.equal(line.status, 202);
    assert.equal(line.route, '/api/v1/chains/:chain/runs');
    assert.ok(!JSON.stringify(logLines).includes(CALLERS.alice), 'no API key in any log line');
  });

  it('links each run to the Temporal UI when the UI address is configured', async () => {
    const res = await api.request('/api/v1/chains/chain-3/runs', { body: { input: { topic: 'ui' } } });
    const { run_id: runId } = (await res.json()) as { run_id: string };
    const run = (await (await api.request(`/api/v1/runs/${runId}`)).json()) as { temporal_ui_url: string };
    assert.equal(run.temporal_ui_url, `http://127.0.0.1:8233/namespaces/default/workflows/${runId}`);
  });

  it('shows each run in the Temporal UI as "chain@version · caller", with input size, webhook host and budget as details', async () => {
    const input = { topic: 'ui summary' };
    const webhookUrl = `${hooks.url}/partner-secret-path?token=partner-token`;
    const res = await api.request('/api/v1/chains/chain-3/runs', { body: { input, max_cost: 5, webhook: { url: webhookUrl, events: ['completed'] } } });
    assert.equal(res.status, 202);
    const { run_id: runId } = (await res.json()) as { run_id: string };
    const description = await engine.client.workflow.getHandle(runId).describe();
    assert.equal(await description.staticSummary(), 'chain-3@1 · alice');
    const details = await description.staticDetails();
    assert.equal(details, `- input: ${Buffer.byteLength(JSON.stringify(input))} bytes\n- webhook: ${new URL(hooks.url).host}\n- budget: max_cost 5 USD`);
    assert.doesNotMatch(details ?? '', /partner-secret-path|partner-token|whsec_/, 'the webhook shows as its host only, and no secret shows');
  });

  it('says "none" in the details for a run without webhook or budget', async () => {
    const res = await api.request('/api/v1/chains/chain-3/runs', { body: { input: { topic: 'x' } } });
    const { run_id: runId } = (await res.json()) as { run_id: string };
    const details = await (await engine.client.workflow.getHandle(runId).describe()).staticDetails();
    assert.equal(details, '- input: 13 bytes\n- webhook: none\n- budget: none');
  });

  it('summarises each agent activity, local ones too, as "agent · provider:model" for llm agents and "agent · kind" for others', async () => {
    const summaries = async (chain: string, input: Record<string, unknown>) => {
      const res = await api.request(`/api/v1/chains/${chain}`, { body: { input } });
      assert.equal(res.status, 200);
      const { run_id: runId } = (await res.json()) as { run_id: string };
      const events = (await engine.client.workflow.getHandle(runId).fetchHistory()).events ?? [];
      // A local activity is recorded as a marker that carries the summary.
      return events
        .filter((event) => event.activityTaskScheduledEventAttributes || (event.markerRecordedEventAttributes && event.userMetadata?.summary))
        .map((event) => defaultPayloadConverter.fromPayload<string>(event.userMetadata!.summary! as Payload));
    };
    assert.deepEqual(await summaries('llm-echo', { text: 'summarise me' }), ['echo · openai:gpt-4o-mini']);
    assert.deepEqual(await summaries('chain-3', { topic: 'summaries' }), ['first · simulated', 'second · simulated', 'third · simulated']);
    assert.deepEqual(await summaries('chain-3-local', { topic: 'local summaries' }), ['first · simulated', 'second · simulated', 'third · simulated']);
  });
});
