import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { startTracing, type Tracing } from '../../src/telemetry/tracing.js';
import { captureLogs } from '../helpers/log-capture.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';
import { SPAN_KIND, SPAN_STATUS, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.js';
import { startTestTemporal, type TestTemporal } from '../helpers/temporal.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

/** The spans of one trace as a tree: find a span by name under a parent, or fail saying what is there. */
class TraceTree {
  constructor(readonly spans: ReceivedSpan[]) {}

  root(): ReceivedSpan {
    const roots = this.spans.filter((s) => !this.spans.some((p) => p.spanId === s.parentSpanId));
    assert.equal(roots.length, 1, `one root span, got ${roots.map((s) => s.name).join(', ')}`);
    return roots[0]!;
  }

  child(parent: ReceivedSpan, name: string): ReceivedSpan {
    const children = this.spans.filter((s) => s.parentSpanId === parent.spanId);
    const found = children.find((s) => s.name === name);
    assert.ok(found, `"${parent.name}" has a child "${name}"; its children: ${children.map((s) => s.name).join(', ') || 'none'}`);
    return found;
  }
}

/** The spans of the trace the API request that started `runId` belongs to. */
function traceOfRun(spans: ReceivedSpan[], runId: string): ReceivedSpan[] {
  const request = spans.find((s) => s.kind === SPAN_KIND.server && s.attributes['chainport.run_id'] === runId);
  return request ? spans.filter((s) => s.traceId === request.traceId) : [];
}

/**
 * Whether the run's trace holds a span `leaf` and every ancestor of every span: a parent ends (and is
 * exported) after its children, so a trace is read only once the spans above the leaf arrived too.
 */
function arrived(spans: ReceivedSpan[], runId: string, leaf: (span: ReceivedSpan) => boolean): boolean {
  const trace = traceOfRun(spans, runId);
  const ids = new Set(trace.map((s) => s.spanId));
  return trace.some(leaf) && trace.every((s) => s.parentSpanId === '' || ids.has(s.parentSpanId));
}

describe('tracing: one trace per run, from the API request to the model call and the webhook', () => {
  let receiver: OtlpReceiver;
  let temporal: TestTemporal;
  let fake: FakeLlm;
  let hooks: WebhookReceiver;
  let tracing: Tracing | undefined;
  let engine: TestEngine;
  let api: TestApi;
  const { lines: logLines, log } = captureLogs();

  before(async () => {
    // Batches leave every 100 ms instead of every 5 s, so the spans arrive while the test waits.
    process.env.OTEL_BSP_SCHEDULE_DELAY = '100';
    receiver = await startOtlpReceiver();
    // A prompt that says "flaky" fails with a 500 on its first attempt.
    fake = await startFakeLlm(({ repeat, prompt }) =>
      repeat === 0 && prompt.includes('flaky')
        ? { type: 'http-error', status: 500, error: { message: 'The server had an error.' } }
        : { type: 'stream', chunks: ['traced ', 'answer'], usage: { input: 12, output: 3 } },
    );
    hooks = await startWebhookReceiver();
    temporal = await startTestTemporal();
    try {
      const env = {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_SERVICE_NAME: 'chainport-under-test',
        OPENAI_BASE_URL: fake.baseUrl,
        OPENAI_API_KEY: 'sk-test',
        CHAINPORT_WEBHOOK_ALLOW_PRIVATE: 'true',
      };
      tracing = await startTracing(loadConfig(env), 'chainport');
      engine = await startEngine(temporal.address, env, { tracing });
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
    await tracing?.shutdown();
    await hooks?.close();
    await fake?.close();
    await receiver?.close();
  });

  it('is on only with an OTLP endpoint: without one, startTracing loads nothing and gives no interceptors', async () => {
    assert.equal(await startTracing(loadConfig({}), 'chainport'), undefined);
    assert.ok(tracing, 'on with OTEL_EXPORTER_OTLP_ENDPOINT');
  });

  it('links the request, the workflow start, the workflow, the agent activity and the model call, with gen_ai attributes', async () => {
    const res = await api.request('/api/v1/chains/llm-echo', { body: { input: { text: 'trace me' } } });
    assert.equal(res.status, 200);
    const { run_id: runId } = (await res.json()) as { run_id: string };
    const spans = await receiver.waitFor((all) => arrived(all, runId, (s) => s.name.startsWith('chat ')));
    const trace = new TraceTree(traceOfRun(spans, runId));

    const request = trace.root();
    assert.equal(request.name, 'POST /api/v1/chains/:chain');
    assert.equal(request.kind, SPAN_KIND.server);
    assert.equal(request.attributes['http.response.status_code'], 200);
    assert.equal(request.service, 'chainport-under-test', 'OTEL_SERVICE_NAME names the process');
    assert.equal(logLines.find((line) => line.run_id === runId)?.trace_id, request.traceId, 'the access log line names the trace');

    const start = trace.child(request, 'StartWorkflow:chainWorkflow');
    const workflow = trace.child(start, 'RunWorkflow:chainWorkflow');
    assert.equal(workflow.attributes.workflowId, runId);
    const activity = trace.child(trace.child(workflow, 'StartActivity:runAgent'), 'RunActivity:runAgent');
    const modelCall = trace.child(activity, 'chat gpt-4o-mini');
    assert.equal(modelCall.kind, SPAN_KIND.client);
    assert.deepEqual(
      Object.fromEntries(Object.entries(modelCall.attributes).filter(([key]) => key.startsWith('gen_ai.'))),
      {
        'gen_ai.operation.name': 'chat',
        'gen_ai.system': 'openai',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
        'gen_ai.usage.input_tokens': 12,
        'gen_ai.usage.output_tokens': 3,
      },
    );
  });

  it('shows a retried agent as one attempt span per try, the failed model call marked as an error', async () => {
    const res = await api.request('/api/v1/chains/llm-echo', { body: { input: { text: 'flaky at first' } } });
    assert.equal(res.status, 200);
    const { run_id: runId } = (await res.json()) as { run_id: string };
    const spans = await receiver.waitFor((all) => arrived(all, runId, (s) => s.name.startsWith('chat ') && s.statusCode === 0));
    const trace = new TraceTree(traceOfRun(spans, runId));
    const workflow = trace.child(trace.child(trace.root(), 'StartWorkflow:chainWorkflow'), 'RunWorkflow:chainWorkflow');
    const start = trace.child(workflow, 'StartActivity:runAgent');
    const attempts = trace.spans.filter((s) => s.parentSpanId === start.spanId && s.name === 'RunActivity:runAgent');
    assert.equal(attempts.length, 2, 'two attempts of the one agent');
    const calls = attempts.map((attempt) => trace.child(attempt, 'chat gpt-4o-mini'));
    assert.deepEqual(
      calls.map((call) => call.statusCode).sort(),
      [SPAN_STATUS.unset, SPAN_STATUS.error],
      'one failed call, one that answered',
    );
  });

  it('puts each webhook delivery attempt in the run\'s trace: the delivery workflow, its activity, the POST and the attempt reported back', async () => {
    const res = await api.request('/api/v1/chains/llm-echo/runs', { body: { input: { text: 'deliver me' }, webhook: { url: hooks.url, events: ['completed'] } } });
    assert.equal(res.status, 202);
    const { run_id: runId } = (await res.json()) as { run_id: string };
    const spans = await receiver.waitFor((all) => arrived(all, runId, (s) => s.name === 'SignalWorkflow:attempt'));
    const trace = new TraceTree(traceOfRun(spans, runId));

    const workflow = trace.child(trace.child(trace.root(), 'StartWorkflow:chainWorkflow'), 'RunWorkflow:chainWorkflow');
    const delivery = trace.child(trace.child(workflow, 'StartChildWorkflow:webhookDeliveryWorkflow'), 'RunWorkflow:webhookDeliveryWorkflow');
    const attempt = trace.child(trace.child(delivery, 'StartActivity:deliverWebhook'), 'RunActivity:deliverWebhook');
    const post = trace.child(attempt, 'POST');
    assert.equal(post.kind, SPAN_KIND.client);
    assert.equal(post.attributes['http.response.status_code'], 200);
    assert.equal(post.attributes['server.address'], '127.0.0.1');
    assert.equal(post.attributes['chainport.delivery_id'], `${runId}-wh1`);
    assert.ok(!Object.values(post.attributes).some((v) => String(v).includes('/hooks')), 'no URL path in the span');
    trace.child(attempt, 'SignalWorkflow:attempt');
  });

  it('leaves health probes and metric scrapes out: a trace every few seconds that says nothing', async () => {
    assert.equal((await api.request('/healthz', { key: null })).status, 200);
    const res = await api.request('/api/v1/chains/llm-echo', { body: { input: { text: 'after a probe' } } });
    const { run_id: runId } = (await res.json()) as { run_id: string };
    // Spans leave in the order they end: once this run's trace is in, the probe's would be too.
    const spans = await receiver.waitFor((all) => arrived(all, runId, (s) => s.name.startsWith('chat ')));
    assert.deepEqual(spans.filter((s) => s.attributes['url.path'] === '/healthz'), []);
  });
});
