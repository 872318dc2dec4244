import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CALLERS, startTestApi, type TestApi } from '../helpers/api.js';
import { expectProblem, getRun, pollRun, startAsync } from '../helpers/api-suite.js';
import { Started } from '../helpers/started.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { eventually } from '../helpers/runs.js';
import { agentTexts, openStream, type ReceivedEvent, type SseSession } from '../helpers/sse-client.js';
import { startTestTemporal, type TestTemporal } from '../helpers/temporal.js';

// Server-Sent Events through the real API: a real Temporal dev server, an in-process worker, the API
// on a socket, and a standard SSE parser (eventsource-parser) on the client side.

const FIELDS: Record<string, string[]> = {
  'run.started': ['agents_total', 'chain', 'chain_version', 'run_id'],
  'agent.started': ['agent', 'index'],
  'agent.output': ['agent', 'chunk', 'index', 'offset'],
  'agent.retrying': ['agent', 'attempt', 'error', 'index'],
  'agent.completed': ['agent', 'attempts', 'cost', 'duration_ms', 'index'],
  'run.completed': ['cost', 'duration_ms', 'output', 'run_id'],
  'run.failed': ['cost', 'duration_ms', 'error', 'run_id'],
  'run.timed_out': ['cost', 'duration_ms', 'error', 'run_id'],
  'run.cancelled': ['cost', 'duration_ms', 'error', 'run_id'],
};

const TELLER = 'once upon a time there were three agents who streamed';
const STREAMED_TEXTS = [TELLER, JSON.stringify({ story: TELLER, words: 10 }), 'and the 10 words lived happily ever after'];

const auth = (key: string = CALLERS.alice) => ({ authorization: `Bearer ${key}` });

/** Ids as the README documents them: "E" or "E.attempt.offset", compared as number tuples. */
function idTuple(id: string | undefined): number[] {
  assert.match(id ?? '', /^\d+(\.\d+\.\d+)?$/, `event id ${id}`);
  const [event = 0, attempt = 0, offset = 0] = id!.split('.').map(Number);
  return [event, attempt, offset];
}

function assertIdsIncrease(events: readonly ReceivedEvent[]): void {
  for (let i = 1; i < events.length; i++) {
    const [a, b] = [idTuple(events[i - 1]!.id), idTuple(events[i]!.id)];
    const order = a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!;
    assert.ok(order < 0, `ids increase: ${events[i - 1]!.id} then ${events[i]!.id}`);
  }
}

/** Every event has an id, a pinned name, one-line JSON data and exactly its pinned fields. */
function assertWellFormed(events: readonly ReceivedEvent[]): void {
  for (const e of events) {
    assert.ok(e.event && FIELDS[e.event], `pinned event name: ${e.event}`);
    assert.doesNotMatch(e.raw, /\n/, 'data is one line');
    assert.deepEqual(Object.keys(e.data).sort(), FIELDS[e.event!], `${e.event} fields`);
  }
}

const names = (events: readonly ReceivedEvent[]) => events.map((e) => e.event);
/** Event names with each run of agent.output shown once (how many chunks depends on heartbeat timing). */
const shape = (events: readonly ReceivedEvent[]) => names(events).filter((name, i, all) => name !== 'agent.output' || all[i - 1] !== name);
const lifecycle = (events: readonly ReceivedEvent[]) => events.filter((e) => e.event !== 'agent.output').map(({ id, event, data }) => ({ id, event, data }));

/** Output events of one agent: offsets contiguous, chunks non-empty. */
function assertContiguous(events: readonly ReceivedEvent[], index: number): void {
  let offset = 0;
  for (const e of events.filter((x) => x.event === 'agent.output' && x.data.index === index)) {
    assert.equal(e.data.offset, offset, `agent ${index}: chunk at offset ${offset}`);
    assert.ok((e.data.chunk as string).length > 0);
    offset += (e.data.chunk as string).length;
  }
}

/**
 * A tiny HTTP proxy. Like nginx with `proxy_buffering on`, it holds a response until it ends — unless
 * `honourAccelBuffering` and the upstream answers `X-Accel-Buffering: no`, which it pipes through as it comes.
 */
async function startProxy(target: string, honourAccelBuffering: boolean): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const upstream = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      if (honourAccelBuffering && answer.headers['x-accel-buffering'] === 'no') {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        return;
      }
      const parts: Buffer[] = [];
      answer.on('data', (part: Buffer) => parts.push(part));
      answer.on('end', () => {
        const { 'transfer-encoding': _chunked, ...headers } = answer.headers;
        res.writeHead(answer.statusCode ?? 502, { ...headers, 'content-length': Buffer.concat(parts).length });
        res.end(Buffer.concat(parts));
      });
    });
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

void describe('Server-Sent Events', () => {
  const started = new Started();
  let engine: TestEngine;
  let api: TestApi;
  /** A second API instance (keep-alive after 250 ms of silence): it never started the runs it streams. */
  let other: TestApi;

  before(() =>
    started.setup(async () => {
      const temporal = started.add('temporal', await startTestTemporal(), (t: TestTemporal) => t.stop());
      engine = started.add('engine', await startEngine(temporal.address), (e: TestEngine) => e.stop());
      await engine.startWorker();
      api = started.add('api', await startTestApi(engine), (a) => a.close(1_000));
      other = started.add('other api', await startTestApi(engine, { stream: { keepAliveMs: 250 } }), (a) => a.close(1_000));
    }),
  );
  after(() => started.stopAll());

  const post = (chain: string, body: Record<string, unknown> = {}, headers: Record<string, string> = {}, via = api.url) =>
    openStream(`${via}/api/v1/chains/${chain}/stream`, { body, headers: { ...auth(), ...headers } });
  const attach = (runId: string, options: { lastEventId?: string; query?: string; via?: string } = {}) =>
    openStream(`${options.via ?? api.url}/api/v1/runs/${runId}/events${options.query ?? ''}`, {
      headers: auth(),
      ...(options.lastEventId !== undefined && { lastEventId: options.lastEventId }),
    });

  void describe('POST /api/v1/chains/{chain}/stream', () => {
    void it('answers 200 text/event-stream with the stream headers, uncompressed', async () => {
      const stream = await post('chain-3', { input: { topic: 'headers' } });
      await stream.done;
      assert.match(stream.headers.get('content-type') ?? '', /^text\/event-stream/);
      assert.equal(stream.headers.get('cache-control'), 'no-cache, no-transform');
      assert.equal(stream.headers.get('connection'), 'keep-alive');
      assert.equal(stream.headers.get('x-accel-buffering'), 'no');
      assert.equal(stream.headers.get('content-encoding'), null);
      assert.ok(stream.headers.get('x-request-id'));
    });

    void it('streams a 3-agent run in exact order with every pinned field', async () => {
      const stream = await post('chain-3', { input: { topic: 'otters' } });
      await stream.done;
      const { events } = stream;
      assertWellFormed(events);
      assertIdsIncrease(events);
      const order = names(events).filter((n) => n !== 'agent.output');
      assert.deepEqual(order, [
        'run.started',
        ...['agent.started', 'agent.completed', 'agent.started', 'agent.completed', 'agent.started', 'agent.completed'],
        'run.completed',
      ]);
      // Output sits between each agent's agent.started and agent.completed.
      assert.match(names(events).join(' '), /^run\.started( agent\.started( agent\.output)+ agent\.completed){3} run\.completed$/);

      const runId = events[0]!.data.run_id as string;
      assert.match(runId, /^run-/);
      assert.deepEqual(events[0]!.data, { run_id: runId, chain: 'chain-3', chain_version: 1, agents_total: 3 });
      const run = await getRun(api, runId);
      const completions = events.filter((e) => e.event === 'agent.completed');
      assert.deepEqual(
        completions.map(({ data: { agent, index, cost, attempts } }) => ({ agent, index, cost, attempts })),
        [
          { agent: 'first', index: 0, cost: 0.01, attempts: 1 },
          { agent: 'second', index: 1, cost: 0.02, attempts: 1 },
          { agent: 'third', index: 2, cost: 0.03, attempts: 1 },
        ],
      );
      for (const c of completions) assert.ok(Number.isInteger(c.data.duration_ms) && (c.data.duration_ms as number) >= 0);
      assert.deepEqual(
        events.filter((e) => e.event === 'agent.started').map((e) => e.data),
        ['first', 'second', 'third'].map((agent, index) => ({ agent, index })),
      );
      const end = events.at(-1)!;
      assert.equal(end.data.run_id, runId);
      assert.equal(end.data.output, run.output);
      assert.equal(end.data.cost, 0.06);
      assert.ok(Number.isInteger(end.data.duration_ms));
      const texts = agentTexts(events);
      assert.equal(texts.get(2), run.output, 'the last agent streamed exactly the run output');
      assert.equal(texts.get(0), 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen otters');
      assert.equal(texts.get(1), `second saw: ${texts.get(0)}`);
    });

    void it('streams output while agents run, and the chunks re-assemble each output exactly (JSON agents as JSON text)', async () => {
      const stream = await post('streamed');
      await stream.done;
      assertWellFormed(stream.events);
      assertIdsIncrease(stream.events);
      const texts = agentTexts(stream.events);
      assert.deepEqual([0, 1, 2].map((i) => texts.get(i)), STREAMED_TEXTS);
      for (const index of [0, 1, 2]) assertContiguous(stream.events, index);
      const tellerChunks = stream.events.filter((e) => e.event === 'agent.output' && e.data.index === 0);
      assert.ok(tellerChunks.length >= 2, `teller streamed in ${tellerChunks.length} chunks, from its heartbeats`);
      const tellerDone = stream.events.find((e) => e.event === 'agent.completed' && e.data.index === 0)!;
      assert.ok(tellerDone.at - tellerChunks[0]!.at >= 100, 'the first chunk arrived while the agent was still running');
      assert.equal(stream.events.at(-1)!.data.output, STREAMED_TEXTS[2]);
    });

    void it('streams the same run again for a repeated Idempotency-Key', async () => {
      const key = `sse-${randomUUID()}`;
      const first = await post('chain-3', { input: { topic: 'again' } }, { 'idempotency-key': key });
      await first.done;
      const second = await post('chain-3', { input: { topic: 'again' } }, { 'idempotency-key': key });
      await second.done;
      assert.equal(second.events[0]!.data.run_id, first.events[0]!.data.run_id);
      assert.deepEqual(lifecycle(second.events), lifecycle(first.events));
    });

    void it('emits agent.retrying for each new attempt, then the output of the attempt that succeeded', async () => {
      const stream = await post('flaky');
      await stream.done;
      assertWellFormed(stream.events);
      assertIdsIncrease(stream.events);
      assert.deepEqual(shape(stream.events), ['run.started', 'agent.started', 'agent.retrying', 'agent.retrying', 'agent.output', 'agent.completed', 'run.completed']);
      assert.deepEqual(stream.events.filter((e) => e.event === 'agent.retrying').map((e) => [e.data.agent, e.data.index, e.data.attempt]), [
        ['wobbly', 0, 2],
        ['wobbly', 0, 3],
      ]);
      assert.match(stream.events[3]!.data.error as string, /attempt 2/);
      assert.equal(stream.events.find((e) => e.event === 'agent.completed')!.data.attempts, 3);
      assert.equal(agentTexts(stream.events).get(0), 'made it');
    });

    void it('emits agent.retrying then run.failed when an agent fails after its retries', async () => {
      const stream = await post('retry-fail');
      await stream.done;
      assertWellFormed(stream.events);
      assertIdsIncrease(stream.events);
      assert.deepEqual(names(stream.events), ['run.started', 'agent.started', 'agent.retrying', 'run.failed']);
      assert.deepEqual(stream.events[2]!.data, {
        agent: 'stubborn',
        index: 0,
        attempt: 2,
        error: 'Simulated transient failure on attempt 1 of 6',
      });
      const failed = stream.events[3]!.data;
      assert.equal(failed.run_id, stream.events[0]!.data.run_id);
      assert.equal(failed.cost, 0);
      assert.deepEqual(failed.error, { code: 'agent_failed', agent: 'stubborn', message: 'Agent "stubborn" failed: Simulated transient failure on attempt 2 of 6' });
    });

    void it('ends a cancelled run with run.cancelled and one over its time limit with run.timed_out', async () => {
      const cancelled = await post('slow');
      await cancelled.waitFor((e) => e.event === 'agent.started' && e.data.index === 1);
      await api.request(`/api/v1/runs/${cancelled.events[0]!.data.run_id as string}/cancel`, { method: 'POST' });
      await cancelled.done;
      const timedOut = await post('short-timeout');
      await timedOut.done;
      for (const [stream, event, code] of [
        [cancelled, 'run.cancelled', 'cancelled'],
        [timedOut, 'run.timed_out', 'chain_timeout'],
      ] as const) {
        assertWellFormed(stream.events);
        assertIdsIncrease(stream.events);
        const end = stream.events.at(-1)!;
        assert.equal(end.event, event);
        assert.equal(end.data.run_id, stream.events[0]!.data.run_id);
        assert.equal((end.data.error as { code: string }).code, code);
        assert.equal(stream.events.filter((e) => e.event?.startsWith('run.')).length, 2, 'run.started and one terminal event');
      }
    });

    void it('with on_disconnect "cancel", cancels the run when the client goes away first', async () => {
      const stream = await post('slow', { on_disconnect: 'cancel' });
      await stream.waitFor((e) => e.event === 'agent.started' && e.data.index === 1);
      const runId = stream.events[0]!.data.run_id as string;
      stream.abort();
      const run = await pollRun(api, runId, (r) => r.status !== 'running', 10_000);
      assert.equal(run.status, 'cancelled');
    });

    void it('answers problem+json before the stream starts: unknown chain, bad body, bad Last-Event-ID, no key', async () => {
      const request = (chain: string, body: unknown, headers: Record<string, string> = {}, key: string | null = CALLERS.alice) =>
        api.request(`/api/v1/chains/${chain}/stream`, { body, headers, key });
      await expectProblem(await request('no-such-chain', {}), 404, 'chain_not_found');
      const invalid = await expectProblem(await request('chain-3', { input: { topic: 'x' }, on_disconnect: 'later' }), 422, 'validation_failed');
      assert.deepEqual(invalid.errors?.map((e) => e.path), ['body.on_disconnect']);
      await expectProblem(await request('chain-3', {}), 422, 'validation_failed');
      await expectProblem(await request('chain-3', { input: { topic: 'x' } }, { 'last-event-id': 'not-an-id' }), 400, 'invalid_request');
      await expectProblem(await request('chain-3', { input: { topic: 'x' } }, {}, null), 401, 'unauthorized');
    });
  });

  void describe('GET /api/v1/runs/{run_id}/events', () => {
    let live: SseSession;
    let runId: string;

    before(async () => {
      live = await post('streamed');
      await live.done;
      runId = live.events[0]!.data.run_id as string;
    });

    void it('replays an ended run: the same events with the same ids, and the same text per agent', async () => {
      const replay = await attach(runId);
      await replay.done;
      assertWellFormed(replay.events);
      assertIdsIncrease(replay.events);
      assert.deepEqual(lifecycle(replay.events), lifecycle(live.events));
      assert.deepEqual([0, 1, 2].map((i) => agentTexts(replay.events).get(i)), STREAMED_TEXTS);
    });

    void it('resumes after a Last-Event-ID in the middle of an agent and sends exactly the rest', async () => {
      const mid = live.events.find((e) => e.event === 'agent.output' && e.data.index === 0)!;
      for (const resumed of [await attach(runId, { lastEventId: mid.id! }), await attach(runId, { query: `?last_event_id=${mid.id}` })]) {
        await resumed.done;
        assert.equal(resumed.events[0]!.event, 'agent.output', 'the stream continues with the rest of that agent');
        assert.equal(resumed.events[0]!.data.offset, (mid.data.chunk as string).length);
        const seen = live.events.slice(0, live.events.indexOf(mid) + 1);
        const joined = [...seen, ...resumed.events];
        assertIdsIncrease(joined);
        assert.deepEqual([0, 1, 2].map((i) => agentTexts(joined).get(i)), STREAMED_TEXTS);
        assert.deepEqual(lifecycle(joined), lifecycle(live.events));
      }
    });

    void it('sends nothing more and closes for a Last-Event-ID at or past the last event of an ended run', async () => {
      for (const lastEventId of [live.lastEventId!, '999999']) {
        const resumed = await attach(runId, { lastEventId });
        await resumed.done;
        assert.deepEqual(resumed.events, []);
      }
    });

    void it('reconnecting mid-agent while the run goes on loses and duplicates nothing', async () => {
      const { run_id } = await startAsync(api, 'streamed');
      const first = await attach(run_id);
      await first.waitFor((e) => e.event === 'agent.output' && e.data.index === 0);
      first.abort();
      const second = await attach(run_id, { lastEventId: first.lastEventId! });
      await second.done;
      const sent = (agentTexts(first.events).get(0) ?? '').length;
      assert.deepEqual([second.events[0]?.event, second.events[0]?.data.index, second.events[0]?.data.offset], ['agent.output', 0, sent], 'continues the agent where it stopped');
      const joined = [...first.events, ...second.events];
      assertWellFormed(joined);
      assertIdsIncrease(joined);
      assert.deepEqual([0, 1, 2].map((i) => agentTexts(joined).get(i)), STREAMED_TEXTS);
      for (const index of [0, 1, 2]) assertContiguous(joined, index);
      const replay = await attach(run_id);
      await replay.done;
      assert.deepEqual(lifecycle(joined), lifecycle(replay.events));
    });

    void it('streams a run from an API instance that did not start it', async () => {
      const { run_id } = await startAsync(api, 'streamed');
      const stream = await attach(run_id, { via: other.url });
      await stream.done;
      assert.equal(stream.events[0]!.data.run_id, run_id);
      assert.equal(stream.events.at(-1)!.event, 'run.completed');
      assert.deepEqual([0, 1, 2].map((i) => agentTexts(stream.events).get(i)), STREAMED_TEXTS);
    });

    void it('shares one reader between every client of a run, and a client that leaves keeps nothing open', async () => {
      const { run_id } = await startAsync(api, 'slow');
      try {
        const viewers = await Promise.all(Array.from({ length: 5 }, () => attach(run_id)));
        await Promise.all(viewers.map((v) => v.waitFor((e) => e.event === 'run.started')));
        assert.deepEqual(api.readers.stats(), { openStreams: 5, activeReaders: 1 });
        const metrics = await (await api.request('/metrics', { key: null })).text();
        assert.match(metrics, /^chainport_sse_open_streams 5$/m);
        assert.match(metrics, /^chainport_sse_active_readers 1$/m);
        for (const viewer of viewers) viewer.abort();
        await eventually(async () => (api.readers.stats().openStreams === 0 ? true : undefined), 5_000, 'streams to close');
        assert.deepEqual(api.readers.stats(), { openStreams: 0, activeReaders: 0 });
        assert.equal((await getRun(api, run_id)).status, 'running', 'on_disconnect defaults to continue: the run goes on');
      } finally {
        await api.request(`/api/v1/runs/${run_id}/cancel`, { method: 'POST' });
      }
    });

    void it('sends a keep-alive comment after each stretch of silence', async () => {
      const { run_id } = await startAsync(api, 'quiet');
      const stream = await attach(run_id, { via: other.url });
      await stream.done;
      const keepAlives = stream.comments.filter((c) => c.text === 'keep-alive');
      assert.ok(keepAlives.length >= 4, `${keepAlives.length} keep-alive comments in about 3 s of silence at 250 ms`);
      assert.equal(stream.events.at(-1)!.event, 'run.completed');
      assert.deepEqual(other.readers.stats(), { openStreams: 0, activeReaders: 0 });
    });

    void it('answers 404 problem+json for a run that does not exist or is not yours', async () => {
      await expectProblem(await api.request('/api/v1/runs/run-nope/events'), 404, 'not_found');
      await expectProblem(await api.request(`/api/v1/runs/${runId}/events`, { key: CALLERS.bob }), 404, 'not_found');
      await expectProblem(await api.request(`/api/v1/runs/${runId}/events?last_event_id=x.y`), 400, 'invalid_request');
    });
  });

  void describe('through a reverse proxy', () => {
    void it('arrives event by event through a buffering proxy that honours X-Accel-Buffering: no', async () => {
      const proxy = await startProxy(api.url, true);
      try {
        const stream = await post('streamed', {}, {}, proxy.url);
        await stream.done;
        const first = stream.events[0]!;
        const last = stream.events.at(-1)!;
        assert.equal(last.event, 'run.completed');
        assert.ok(last.at - first.at >= 800, `events spread over ${last.at - first.at} ms, as the run went`);
      } finally {
        await proxy.close();
      }
    });

    void it('(the failure it prevents) arrives all at once, at the end, through a proxy that buffers regardless', async () => {
      const proxy = await startProxy(api.url, false);
      try {
        const stream = await post('streamed', {}, {}, proxy.url);
        await stream.done;
        assert.ok(stream.events.at(-1)!.at - stream.events[0]!.at < 100, 'everything arrived in one piece');
      } finally {
        await proxy.close();
      }
    });
  });
});
