import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InProcessTokenChannel } from '../../src/tokens/in-process.js';
import { startTestApi, CALLERS, type TestApi } from '../helpers/api.js';
import { getRun, startAsync } from '../helpers/api-suite.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { startFakeLlm, type FakeLlm, type FakeStep } from '../helpers/fake-llm.js';
import { finalState, start } from '../helpers/runs.js';
import { agentTexts, assertExactOutput, openStream, type SseSession } from '../helpers/sse-client.js';
import { Started } from '../helpers/started.js';
import { startTestTemporal, type TestTemporal } from '../helpers/temporal.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

// Providers, fallbacks and the one retry owner, against a fake server speaking OpenAI's Responses API
// (openai:), Chat Completions (openai-compatible:local) and Anthropic Messages (anthropic:), on a real
// Temporal server with an in-process worker and the API on a socket.

const ok = (chunks: string[], usage?: { input: number; output: number }): FakeStep => ({ type: 'stream', chunks, ...(usage && { usage }) });
const status = (code: number, headers?: Record<string, string>): FakeStep => ({ type: 'http-error', status: code, ...(headers && { headers }) });

/**
 * Each test's prompt names a scenario after the chain's prefix ("Route: primary-503 …"); the fake
 * answers by scenario, model (as the provider's body names it) and how often it saw that prompt for
 * that model before (0 = first call).
 */
const SCENARIOS: Record<string, (model: string, repeat: number) => FakeStep> = {
  'primary-503': (model) => (model === 'gpt-4o-mini' ? status(503) : ok(['from ', 'claude'])),
  'primary-400': (model) => (model === 'gpt-4o-mini' ? { type: 'http-error', status: 400, error: { message: 'Invalid prompt.', code: 'invalid_prompt' } } : ok(['never'])),
  'primary-refuses': (model) => (model === 'gpt-4o-mini' ? { type: 'stream', chunks: [], finish: 'refusal' } : ok(['never'])),
  'both-500': () => status(500),
  'rate-limited': (model) => (model === 'llama3.1' ? status(429, { 'retry-after': '1' }) : ok(['claude ', 'after ', 'a 429'])),
  budget: (model) => (model === 'gpt-4o-mini' ? status(503) : ok(['never'])),
  priced: () => ok(['A ', 'priced ', 'answer'], { input: 1000, output: 500 }),
  overloaded: (model) => (model === 'claude-sonnet-4-5' ? status(529) : ok(['llama ', 'steps ', 'in'])),
  'overloaded-mid-stream': (model) =>
    model === 'claude-sonnet-4-5'
      ? { type: 'stream-error', chunks: ['half ', 'an '], error: { type: 'overloaded_error', message: 'Overloaded', code: null } }
      : ok(['whole ', 'answer']),
  'claude-refuses': (model) => (model === 'claude-sonnet-4-5' ? { type: 'stream', chunks: ['I can'], finish: 'refusal' } : ok(['never'])),
  'claude-500': (model) => (model === 'claude-sonnet-4-5' ? status(500) : ok(['never'])),
  'valid-json': () => ok(['{"title": "Durable", ', '"body": "agents"}']),
  'invalid-json': () => ok(['{"title": 42}']),
  cut: (model) =>
    model === 'gpt-4o-mini'
      ? { type: 'stream-cut', chunks: ['partial ', 'words ', 'from ', 'gpt '], delayMs: 300 }
      : { type: 'stream', chunks: ['the ', 'fallback ', 'answer'], delayMs: 200 },
};

function scenarioOf(prompt: string): string {
  return /:\s*([a-z0-9-]+)/.exec(prompt)?.[1] ?? '';
}

describe('llm providers, fallbacks and retries', () => {
  let temporal: TestTemporal | undefined;
  let fake: FakeLlm | undefined;
  let engine: TestEngine | undefined;
  let api: TestApi | undefined;
  /** An API instance without the token channel: its streams read output from heartbeats only. */
  let heartbeatApi: TestApi | undefined;
  let receiver: WebhookReceiver | undefined;
  const calls = (model: string, text: string) => fake!.requests.filter((r) => r.model === model && r.prompt.endsWith(text));
  const started = new Started();
  /** Starts a run of `chain` on the engine and waits for its end: its id and final state. */
  const runToEnd = async (chain: string, input: Record<string, unknown>) => {
    const { workflowId } = await start(engine!, chain, input);
    return { runId: workflowId, state: await finalState(engine!.client, workflowId) };
  };

  before(() =>
    started.setup(async () => {
      temporal = started.add('temporal', await startTestTemporal(), (t) => t.stop());
      const llm = await startFakeLlm((request) => {
        const scenario = SCENARIOS[scenarioOf(request.prompt)];
        return scenario ? scenario(request.model, request.repeat) : status(404);
      });
      fake = started.add('fake llm', llm, (f) => f.close());
      const running = await startEngine(
        temporal.address,
        {
          OPENAI_BASE_URL: fake.baseUrl,
          OPENAI_API_KEY: 'openai-key',
          ANTHROPIC_BASE_URL: fake.baseUrl,
          ANTHROPIC_API_KEY: 'anthropic-key',
          CHAINPORT_OPENAI_COMPATIBLE: `local=${fake.baseUrl}`,
          CHAINPORT_OPENAI_COMPATIBLE_LOCAL_API_KEY: 'local-key',
          CHAINPORT_WEBHOOK_ALLOW_PRIVATE: 'true',
        },
        { tokens: new InProcessTokenChannel() },
      );
      engine = started.add('engine', running, (e) => e.stop());
      await engine.startWorker();
      api = started.add('api', await startTestApi(engine), (a) => a.close());
      heartbeatApi = started.add('heartbeat api', await startTestApi({ ...engine, tokens: undefined }), (a) => a.close());
      receiver = started.add('webhook receiver', await startWebhookReceiver(), (r) => r.close());
    }),
  );
  after(() => started.stopAll());

  it('falls back within the first attempt: one call to the failing primary, then the fallback answers', async () => {
    const { state } = await runToEnd('llm-fallback', { text: 'primary-503 once' });
    assert.equal(state.status, 'completed', JSON.stringify(state.error));
    assert.equal(state.output, 'from claude');
    assert.equal(state.agents[0]?.attempts, 1, 'the fallback answered inside attempt 1');
    assert.equal(state.agents[0]?.model, 'anthropic:claude-sonnet-4-5');
    assert.equal(state.agents[0]?.fallback_used, true);
    assert.equal(calls('gpt-4o-mini', 'primary-503 once').length, 1, 'exactly one primary call: the SDK does not retry');
    const [fallback] = calls('claude-sonnet-4-5', 'primary-503 once');
    assert.equal(fallback?.api, 'anthropic');
    assert.equal(fallback?.headers['x-api-key'], 'anthropic-key');
    assert.equal(fallback?.system, 'You are a careful writer.');
  });

  it('never falls back on a 400: the run fails at once', async () => {
    const { state } = await runToEnd('llm-fallback', { text: 'primary-400 please' });
    assert.equal(state.status, 'failed');
    assert.equal(state.error?.code, 'agent_failed');
    assert.match(state.error?.message ?? '', /openai:gpt-4o-mini failed with 400: Invalid prompt/);
    assert.equal(state.agents[0]?.attempts, 1);
    assert.equal(calls('gpt-4o-mini', 'primary-400 please').length, 1);
    assert.equal(calls('claude-sonnet-4-5', 'primary-400 please').length, 0, 'no fallback on a 400');
  });

  it('never falls back on a content-filter refusal (OpenAI content_filter, Anthropic refusal), nor retries it', async () => {
    for (const [chain, scenario, refuser, fallback] of [
      ['llm-fallback', 'primary-refuses', 'openai:gpt-4o-mini', 'claude-sonnet-4-5'],
      ['llm-anthropic', 'claude-refuses', 'anthropic:claude-sonnet-4-5', 'llama3.1'],
    ] as const) {
      const { state } = await runToEnd(chain, { text: `${scenario} please` });
      assert.equal(state.status, 'failed', scenario);
      assert.match(state.error?.message ?? '', new RegExp(`${refuser} refused to answer \\(content filter\\)`));
      assert.equal(state.agents[0]?.attempts, 1);
      assert.equal(calls(fallback, `${scenario} please`).length, 0);
    }
  });

  it('leaves retries to Temporal: with both models failing and max_attempts 2, each model is called exactly twice', async () => {
    const { state } = await runToEnd('llm-fallback-twice', { text: 'both-500 please' });
    assert.equal(state.status, 'failed');
    assert.equal(state.error?.code, 'agent_failed');
    assert.match(state.error?.message ?? '', /anthropic:claude-haiku-4-5 failed with 500/, 'the attempt fails as its last model did');
    assert.equal(state.agents[0]?.attempts, 2);
    const primary = calls('llama3.1', 'both-500 please');
    assert.equal(primary.length, 2);
    assert.equal(primary[0]?.api, 'chat', 'openai-compatible servers speak Chat Completions');
    assert.equal(primary[0]?.headers.authorization, 'Bearer local-key');
    assert.equal(calls('claude-haiku-4-5', 'both-500 please').length, 2);
  });

  it('falls back on a 429 from an OpenAI-compatible server', async () => {
    const { state } = await runToEnd('llm-fallback-twice', { text: 'rate-limited please' });
    assert.equal(state.status, 'completed', JSON.stringify(state.error));
    assert.equal(state.output, 'claude after a 429');
    assert.equal(state.agents[0]?.attempts, 1);
    assert.equal(calls('llama3.1', 'rate-limited please').length, 1);
  });

  it('ends the run budget_exceeded instead of calling a fallback whose max_tokens cannot fit the budget', async () => {
    const { state } = await runToEnd('llm-budget', { text: 'budget please' });
    assert.equal(state.status, 'failed');
    assert.equal(state.error?.code, 'budget_exceeded');
    assert.equal(state.error?.agent, 'writer');
    assert.match(state.error?.message ?? '', /anthropic:claude-sonnet-4-5 was not called/);
    assert.equal(state.agents[0]?.attempts, 1, 'a budget stop is not retried');
    assert.equal(calls('gpt-4o-mini', 'budget please').length, 1, 'the primary fits: 1000 tokens at 0.6 USD/M is 0.0006 of 0.001');
    assert.equal(calls('claude-sonnet-4-5', 'budget please').length, 0, 'the fallback (0.015 USD at most) is never called');
  });

  it('records model, tokens and cost from the price table for the Anthropic path, in polls, the agent.completed webhook and SSE', async () => {
    const { run_id: runId } = await startAsync(api!, 'llm-anthropic', { input: { text: 'priced please' }, webhook: { url: receiver!.url, events: ['agent.completed'] } });
    const state = await finalState(engine!.client, runId);
    assert.equal(state.status, 'completed', JSON.stringify(state.error));
    assert.equal(state.output, 'A priced answer');
    // claude-sonnet-4-5: 1000 input tokens at 3 + 500 output tokens at 15 USD per million.
    assert.equal(state.agents[0]?.cost, 0.0105);
    assert.equal(state.cost, 0.0105);
    assert.deepEqual(state.agents[0]?.tokens, { input: 1000, output: 500 });
    assert.equal(state.agents[0]?.model, 'anthropic:claude-sonnet-4-5');
    assert.equal(state.agents[0]?.fallback_used, false);
    const [request] = calls('claude-sonnet-4-5', 'priced please');
    assert.equal(request?.path, '/v1/messages');
    assert.equal(request?.body.max_tokens, 300);
    assert.equal(request?.body.temperature, 0.3);
    const run = await getRun(api!, runId);
    assert.deepEqual(
      { model: run.agents[0]?.model, fallback_used: run.agents[0]?.fallback_used, tokens: run.agents[0]?.tokens, cost: run.agents[0]?.cost },
      { model: 'anthropic:claude-sonnet-4-5', fallback_used: false, tokens: { input: 1000, output: 500 }, cost: 0.0105 },
    );
    const [delivery] = await receiver!.waitFor(1);
    assert.deepEqual(
      { event: delivery?.json.event, model: delivery?.json.agent_model, fallback_used: delivery?.json.agent_fallback_used, tokens: delivery?.json.agent_tokens },
      { event: 'agent.completed', model: 'anthropic:claude-sonnet-4-5', fallback_used: false, tokens: { input: 1000, output: 500 } },
    );
    const events = await openStream(`${api!.url}/api/v1/runs/${runId}/events`, { headers: { authorization: `Bearer ${CALLERS.alice}` } });
    await events.done;
    const completed = events.events.find((e) => e.event === 'agent.completed');
    assert.deepEqual(
      { model: completed?.data.model, fallback_used: completed?.data.fallback_used, tokens: completed?.data.tokens, cost: completed?.data.cost },
      { model: 'anthropic:claude-sonnet-4-5', fallback_used: false, tokens: { input: 1000, output: 500 }, cost: 0.0105 },
    );
  });

  it('falls back from Anthropic on a 529 and on an overloaded_error event mid-stream', async () => {
    for (const scenario of ['overloaded', 'overloaded-mid-stream']) {
      const { state } = await runToEnd('llm-anthropic', { text: `${scenario} please` });
      assert.equal(state.status, 'completed', `${scenario}: ${JSON.stringify(state.error)}`);
      assert.equal(state.agents[0]?.model, 'openai-compatible:local/llama3.1', scenario);
      assert.equal(state.agents[0]?.fallback_used, true);
      assert.equal(state.agents[0]?.attempts, 1);
      assert.equal(state.agents[0]?.cost, 0, 'a model without a price costs nothing');
    }
  });

  it('does not fall back on a class missing from fallback_on: a 500 with fallback_on [overloaded] fails the attempt, retryable', async () => {
    const { state } = await runToEnd('llm-anthropic', { text: 'claude-500 please' });
    assert.equal(state.status, 'failed');
    assert.equal(state.agents[0]?.attempts, 2, 'a 500 is retried by Temporal');
    assert.equal(calls('claude-sonnet-4-5', 'claude-500 please').length, 2);
    assert.equal(calls('llama3.1', 'claude-500 please').length, 0);
  });

  it('asks for JSON by schema and hands a valid object to the next agent', async () => {
    const { state } = await runToEnd('llm-structured', { text: 'valid-json please' });
    assert.equal(state.status, 'completed', JSON.stringify(state.error));
    assert.equal(state.output, 'Headline: Durable');
    const [request] = calls('gpt-4.1-mini', 'valid-json please');
    const format = (request?.body.text as { format?: { type?: string; schema?: unknown } } | undefined)?.format;
    assert.equal(format?.type, 'json_schema');
    assert.deepEqual((format?.schema as { required?: unknown })?.required, ['title', 'body']);
  });

  it('retries output that does not match output_schema, then fails with llm_invalid_output', async () => {
    const { runId, state } = await runToEnd('llm-structured', { text: 'invalid-json please' });
    assert.equal(state.status, 'failed');
    assert.equal(state.error?.code, 'agent_failed');
    assert.match(state.agents[0]?.error ?? '', /does not match output_schema: .*\/title must be string/);
    assert.equal(state.agents[0]?.attempts, 2);
    assert.equal(calls('gpt-4.1-mini', 'invalid-json please').length, 2);
    const history = await engine!.client.workflow.getHandle(runId).fetchHistory();
    const failure = history.events?.find((e) => e.activityTaskFailedEventAttributes)?.activityTaskFailedEventAttributes?.failure;
    assert.equal(failure?.cause?.applicationFailureInfo?.type ?? failure?.applicationFailureInfo?.type, 'llm_invalid_output');
  });

  it('tells SSE clients to discard the partial output of a model cut off mid-stream, and names the model that takes over', async () => {
    let heartbeatOnly: Promise<SseSession> | undefined;
    const stream = await openStream(`${api!.url}/api/v1/chains/llm-fallback/stream`, {
      body: { input: { text: 'cut please' } },
      headers: { authorization: `Bearer ${CALLERS.alice}` },
      onEvent(event) {
        if (event.event === 'run.started') {
          heartbeatOnly = openStream(`${heartbeatApi!.url}/api/v1/runs/${event.data.run_id as string}/events`, { headers: { authorization: `Bearer ${CALLERS.alice}` } });
        }
      },
    });
    await stream.done;
    const events = stream.events;
    const retrying = events.filter((e) => e.event === 'agent.retrying');
    assert.equal(retrying.length, 1, JSON.stringify(events.map((e) => [e.id, e.event, e.data])));
    assert.equal(retrying[0]!.data.reason, 'fallback');
    assert.equal(retrying[0]!.data.model, 'anthropic:claude-sonnet-4-5');
    assert.equal(retrying[0]!.data.attempt, 1);
    const before = events.slice(0, events.indexOf(retrying[0]!)).filter((e) => e.event === 'agent.output');
    assert.ok(before.length > 0, 'the client saw the primary’s partial output first');
    assert.ok('partial words from gpt '.startsWith(before.map((e) => e.data.chunk as string).join('')), 'what came before is the primary’s text');
    assertExactOutput(events, 0, 'the fallback answer');
    assert.equal(agentTexts(events).get(0), 'the fallback answer', 'the final text is wholly the fallback’s');
    assert.equal(events.at(-1)?.event, 'run.completed');
    assert.equal(events.at(-1)?.data.output, 'the fallback answer');
    // Resuming right after the fallback's announcement gives exactly the fallback's text.
    const resumed = await openStream(`${api!.url}/api/v1/runs/${(events[0]!.data.run_id as string)}/events`, {
      headers: { authorization: `Bearer ${CALLERS.alice}` },
      lastEventId: retrying[0]!.id,
    });
    await resumed.done;
    assert.equal(resumed.events.filter((e) => e.event === 'agent.output').map((e) => e.data.chunk).join(''), 'the fallback answer');
    // A reader that sees heartbeats only announces the same fallback at the same position.
    const viaHeartbeats = await heartbeatOnly!;
    await viaHeartbeats.done;
    const [announced] = viaHeartbeats.events.filter((e) => e.event === 'agent.retrying');
    assert.deepEqual([announced?.id, announced?.data.reason, announced?.data.model], [retrying[0]!.id, 'fallback', 'anthropic:claude-sonnet-4-5']);
    assert.equal(agentTexts(viaHeartbeats.events).get(0), 'the fallback answer');
  });
});
