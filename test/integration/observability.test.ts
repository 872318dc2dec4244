import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { CALLERS, startTestApi, type TestApi } from '../helpers/api.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { startTestTemporal, type TestTemporal } from '../helpers/temporal.js';

const METRICS_TOKEN = 'metrics-token-for-tests';

describe('observability: metrics, logs, Temporal UI links', () => {
  let temporal: TestTemporal;
  let engine: TestEngine;
  let api: TestApi;
  const logLines: Array<Record<string, unknown>> = [];

  before(async () => {
    temporal = await startTestTemporal();
    try {
      engine = await startEngine(temporal.address, { CHAINPORT_METRICS_TOKEN: METRICS_TOKEN, TEMPORAL_UI_URL: 'http://127.0.0.1:8233' });
      await engine.startWorker();
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
          done();
        },
      });
      api = await startTestApi(engine, { log: pino({ level: 'info' }, sink) });
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
});
