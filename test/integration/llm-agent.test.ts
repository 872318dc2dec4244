import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { Worker } from '@temporalio/worker';
import { connectWorker } from '../../src/temporal/connection.js';
import { createWorker } from '../../src/worker.js';
import type { AgentHeartbeat } from '../../src/workflows/types.js';
import { startEngine, workflowBundle, type TestEngine } from '../helpers/engine.js';
import { startFakeLlm, type FakeLlm, type FakeRequest, type FakeStep } from '../helpers/fake-llm.js';
import { eventually, finalState, start } from '../helpers/runs.js';
import { startTestTemporal, type TestTemporal } from '../helpers/temporal.js';

/**
 * Each test sends a prompt whose first word names a scenario; the fake answers by scenario and by how
 * many times it has already seen that exact prompt (0 = first attempt, 1 = the retry, …).
 */
const SCENARIOS: Record<string, (repeat: number) => FakeStep> = {
  plain: () => ({ type: 'stream', chunks: ['Hello', ', ', 'world', '!'], usage: { input: 2000, output: 1000 } }),
  'flaky-500': (repeat) =>
    repeat === 0
      ? { type: 'http-error', status: 500, error: { message: 'The server had an error while processing your request.' } }
      : { type: 'stream', chunks: ['second ', 'time ', 'lucky'] },
  'rejected-400': () => ({
    type: 'http-error',
    status: 400,
    error: { message: "Invalid value for 'temperature'.", type: 'invalid_request_error', code: 'invalid_value' },
  }),
  'mid-stream': (repeat) =>
    repeat === 0
      ? { type: 'stream-error', chunks: ['half ', 'an '], error: { message: 'The model overloaded mid-answer.', type: 'server_error', code: 'server_error' } }
      : { type: 'stream', chunks: ['a whole ', 'answer'] },
  'rate-limited': (repeat) =>
    repeat === 0
      ? { type: 'http-error', status: 429, error: { message: 'Rate limit reached.', type: 'requests', code: 'rate_limit_exceeded' }, headers: { 'retry-after': '2' } }
      : { type: 'stream', chunks: ['after ', 'the wait'] },
  'backoff-500': (repeat) => (repeat === 0 ? { type: 'http-error', status: 503, error: { message: 'overloaded' } } : { type: 'stream', chunks: ['recovered'] }),
  json: () => ({ type: 'stream', chunks: ['{"name":', ' "Ada",', ' "age": 36}'] }),
  trickle: () => ({ type: 'stream', chunks: 'one two three four five six seven eight nine ten '.match(/\S+\s/g)!, delayMs: 300 }),
  handover: (repeat) =>
    repeat === 0
      ? { type: 'stream', chunks: Array.from({ length: 40 }, (_, i) => `slow${i} `), delayMs: 250 }
      : { type: 'stream', chunks: ['the ', 'whole ', 'answer'] },
  endless: () => ({ type: 'stream', chunks: Array.from({ length: 40 }, (_, i) => `w${i} `), delayMs: 250 }),
};

function scenarioOf(request: { prompt: string }): string {
  return /:\s*([a-z0-9-]+)/.exec(request.prompt)?.[1] ?? '';
}

describe('llm agent against OpenAI (Responses API)', () => {
  let temporal: TestTemporal | undefined;
  let fake: FakeLlm | undefined;
  let engine: TestEngine;

  /** The requests the fake got for one run's prompt, in order. */
  const requestsFor = (text: string): FakeRequest[] => fake!.requests.filter((r) => r.prompt.endsWith(text));

  before(async () => {
    try {
      temporal = await startTestTemporal();
      fake = await startFakeLlm((request) => {
        const scenario = SCENARIOS[scenarioOf(request)];
        if (!scenario) return { type: 'http-error', status: 404, error: { message: `no scenario for ${scenarioOf(request)}`, code: 'model_not_found' } };
        return scenario(request.repeat);
      });
      engine = await startEngine(temporal.address, { OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'test-key' });
      await engine.startWorker();
    } catch (err) {
      await engine?.stop();
      await fake?.close();
      await temporal?.stop();
      throw err;
    }
  });
  after(async () => {
    await engine?.stop();
    await fake?.close();
    await temporal?.stop();
  });

  it('marks llm chains available once an endpoint is configured', () => {
    assert.equal(engine.catalog.resolve('llm-echo')?.unavailable, undefined);
  });

  it('outputs the concatenated deltas and records the model, its tokens and their cost from the shipped price table', async () => {
    const handle = await start(engine, 'llm-echo', { text: 'plain hello' });
    const state = await finalState(engine.client, handle.workflowId);
    assert.equal(state.status, 'completed');
    assert.equal(state.output, 'Hello, world!');
    // openai:gpt-4o-mini: 2000 input tokens at 0.15 + 1000 output tokens at 0.6 USD per million.
    assert.equal(state.cost, 0.0009);
    assert.equal(state.agents[0]?.cost, 0.0009);
    assert.equal(state.agents[0]?.attempts, 1);
    assert.equal(state.agents[0]?.model, 'openai:gpt-4o-mini', 'a model without a provider is an OpenAI model');
    assert.equal(state.agents[0]?.fallback_used, false);
    assert.deepEqual(state.agents[0]?.tokens, { input: 2000, output: 1000 });
  });

  it('sends one streamed Responses API request with the model, system and user messages and the bearer key', async () => {
    const handle = await start(engine, 'llm-echo', { text: 'plain request shape' });
    await handle.result();
    const [request, ...more] = requestsFor('plain request shape');
    assert.ok(request);
    assert.equal(more.length, 0);
    assert.equal(request.method, 'POST');
    assert.equal(request.path, '/v1/responses');
    assert.equal(request.headers.authorization, 'Bearer test-key');
    assert.equal(request.model, 'gpt-4o-mini');
    assert.equal(request.body.stream, true);
    assert.equal(request.system, 'You repeat what you are told.');
    assert.equal(request.prompt, 'Echo: plain request shape');
  });

  it('retries a 500 and reports attempts: 2', async () => {
    const handle = await start(engine, 'llm-echo', { text: 'flaky-500 please' });
    const state = await finalState(engine.client, handle.workflowId);
    assert.equal(state.status, 'completed', JSON.stringify(state));
    assert.equal(state.output, 'second time lucky');
    assert.equal(state.agents[0]?.attempts, 2);
    assert.equal(requestsFor('flaky-500 please').length, 2);
  });

  it('fails the run at once on a 400, with code agent_failed and attempts: 1', async () => {
    const handle = await start(engine, 'llm-echo', { text: 'rejected-400 please' });
    const state = await finalState(engine.client, handle.workflowId);
    assert.equal(state.status, 'failed');
    assert.equal(state.error?.code, 'agent_failed');
    assert.equal(state.error?.agent, 'echo');
    assert.match(state.error?.message ?? '', /400/);
    assert.match(state.error?.message ?? '', /Invalid value for 'temperature'/);
    assert.equal(state.agents[0]?.attempts, 1);
    assert.equal(requestsFor('rejected-400 please').length, 1, 'a 400 is not sent again');
  });

  it('retries a stream that breaks with an error event, keeping only the good attempt’s text', async () => {
    const handle = await start(engine, 'llm-echo', { text: 'mid-stream please' });
    const state = await finalState(engine.client, handle.workflowId);
    assert.equal(state.status, 'completed');
    assert.equal(state.output, 'a whole answer');
    assert.equal(state.agents[0]?.attempts, 2);
    const [first] = requestsFor('mid-stream please');
    assert.equal(first?.chunksSent, 2, 'the first attempt did stream some text before the error');
  });

  it('waits for the retry-after of a 429 before the next attempt', async () => {
    const handle = await start(engine, 'llm-echo', { text: 'rate-limited please' });
    const state = await finalState(engine.client, handle.workflowId);
    assert.equal(state.status, 'completed');
    assert.equal(state.agents[0]?.attempts, 2);
    const [first, second] = requestsFor('rate-limited please');
    assert.ok(first && second);
    const gap = second.receivedAt - first.receivedAt;
    assert.ok(gap >= 1_900, `retry came ${gap} ms after the 429, before its retry-after of 2 s`);
  });

  it('keeps the retry policy’s backoff when a 5xx carries no retry-after', async () => {
    const handle = await start(engine, 'llm-backoff', { text: 'backoff-500 please' });
    const state = await finalState(engine.client, handle.workflowId);
    assert.equal(state.status, 'completed');
    assert.equal(state.output, 'recovered');
    const [first, second] = fake!.requests.filter((r) => r.prompt === 'Say: backoff-500 please');
    assert.ok(first && second);
    const gap = second.receivedAt - first.receivedAt;
    assert.ok(gap >= 1_900, `retry came ${gap} ms after the 503, before the chain's 2 s initial_interval`);
  });

  it('parses the output as JSON when response_format is json, for the next agent to use', async () => {
    const handle = await start(engine, 'llm-json', { text: 'json: Ada Lovelace, 36' });
    const state = await finalState(engine.client, handle.workflowId);
    assert.equal(state.status, 'completed');
    assert.deepEqual(state.output, { name: 'Ada', age: 36 });
    const [request] = fake!.requests.filter((r) => r.prompt === 'Extract a person from: json: Ada Lovelace, 36');
    assert.deepEqual((request?.body.text as { format?: unknown } | undefined)?.format, { type: 'json_object' });
    assert.equal(request?.body.temperature, 0);
    assert.equal(request?.system, undefined, 'no system message when none is set');
    assert.deepEqual(state.agents.map((a) => [a.name, a.status]), [
      ['extract', 'completed'],
      ['greet', 'completed'],
    ]);
  });

  it('heartbeats the cumulative streamed text while the model is still answering', async () => {
    const full = 'one two three four five six seven eight nine ten ';
    const handle = await start(engine, 'llm-echo', { text: 'trickle slowly' });
    const seen: string[] = [];
    await eventually(
      async () => {
        const description = await engine.client.workflow.getHandle(handle.workflowId).describe();
        const payload = description.raw.pendingActivities?.[0]?.heartbeatDetails?.payloads?.[0];
        if (payload) {
          const beat = defaultPayloadConverter.fromPayload<AgentHeartbeat>(payload as Payload);
          if (beat.text && beat.text !== seen.at(-1)) seen.push(beat.text);
        }
        return seen.length >= 2 ? true : undefined;
      },
      20_000,
      'two distinct partial heartbeats',
    );
    const [request] = requestsFor('trickle slowly');
    assert.equal(request?.finishedAt, undefined, 'the partial text was visible before the stream ended');
    for (const text of seen) assert.ok(full.startsWith(text) && text.length < full.length, `"${text}" is a strict prefix of the answer`);
    assert.ok(seen[1]!.startsWith(seen[0]!) && seen[1]!.length > seen[0]!.length, 'each heartbeat carries all the text so far');
    const state = await finalState(engine.client, handle.workflowId);
    assert.equal(state.output, full);
  });

  it('aborts the HTTP request to the model when the run is cancelled mid-stream', async () => {
    const handle = await start(engine, 'llm-echo', { text: 'endless story' });
    const request = await eventually(async () => {
      const [r] = requestsFor('endless story');
      return r && r.chunksSent >= 2 ? r : undefined;
    });
    const cancelledAt = Date.now();
    await handle.cancel();
    const state = await finalState(engine.client, handle.workflowId);
    assert.equal(state.status, 'cancelled');
    assert.equal(state.agents[0]?.status, 'cancelled');
    await eventually(async () => (request.abortedAt !== undefined ? true : undefined), 10_000, 'the fake server to see the connection close');
    assert.equal(request.finishedAt, undefined, 'the stream never finished');
    assert.ok(request.chunksSent < 40, `only ${request.chunksSent} of 40 chunks went out`);
    assert.ok(request.abortedAt! - cancelledAt < 5_000, 'the connection closed within a few seconds of the cancel');
    assert.equal(requestsFor('endless story').length, 1, 'a cancelled attempt is not retried');
  });

  it('retries the agent on another worker, not keeping truncated text, when its worker shuts down mid-stream', async () => {
    // Workers of their own on a separate task queue, giving in-flight agents only 300 ms to finish on shutdown.
    const config = {
      ...engine.config,
      temporal: { ...engine.config.temporal, taskQueue: `${engine.config.temporal.taskQueue}-draining` },
      worker: { ...engine.config.worker, shutdownGraceMs: 300 },
    };
    const connection = await connectWorker(config);
    const running: Array<Promise<void>> = [];
    const launch = async () => {
      const worker = await createWorker({ config, connection, client: engine.client, workflowBundle: await workflowBundle() });
      running.push(worker.run());
      return worker;
    };
    const workers: Worker[] = [];
    try {
      workers.push(await launch());
      const handle = await start({ ...engine, config }, 'llm-echo', { text: 'handover please' });
      await eventually(async () => {
        const [r] = requestsFor('handover please');
        return r && r.chunksSent >= 2 ? r : undefined;
      });
      workers[0]!.shutdown();
      await running[0];
      workers.push(await launch());
      const state = await finalState(engine.client, handle.workflowId);
      assert.equal(state.status, 'completed', JSON.stringify(state));
      assert.equal(state.output, 'the whole answer', 'the output is the retried attempt’s, not the cut-off stream');
      assert.equal(state.agents[0]?.attempts, 2);
      const [interrupted] = requestsFor('handover please');
      assert.ok(interrupted?.abortedAt !== undefined, 'the first attempt’s request was aborted');
    } finally {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
      await Promise.allSettled(running);
      await connection.close();
    }
  });
});
