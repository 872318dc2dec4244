import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Chainport, ChainportError, WebhookVerificationError, verifyWebhook, type ChainportOptions, type RunStreamEvent } from 'chainport/client';
import { sha256 } from '../../src/api/callers.js';
import { WORKFLOW_ID, equals } from '../../src/runs/visibility-query.js';
import { CALLERS } from '../helpers/api.js';
import { eventually } from '../helpers/runs.js';
import { useStack } from '../helpers/stack.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

// The typed client (chainport/client) against the real API, worker and Temporal dev server. A
// recording fetch handed to the client shows what went over the wire; it never answers by itself.

/** 3 requests a minute. */
const LIMITED = 'limited-key-0123456789abcdef';
/** One running run at a time. */
const SOLO = 'solo-key-0123456789abcdef01';

const callersDir = mkdtempSync(path.join(os.tmpdir(), 'chainport-client-callers-'));
const callersFile = path.join(callersDir, 'callers.yaml');
writeFileSync(
  callersFile,
  [
    'callers:',
    `  - {id: limited, key_sha256: ${sha256(LIMITED).toString('hex')}, rate_limit_per_min: 3}`,
    `  - {id: solo, key_sha256: ${sha256(SOLO).toString('hex')}, max_concurrent_runs: 1}`,
    '',
  ].join('\n'),
);

const CHAIN_3_OUTPUT = (topic: string) => `third saw: second saw: one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen ${topic}`;

interface Exchange {
  method: string;
  path: string;
  /** The query string, with its `?` (empty without one). */
  search: string;
  /** The request's headers. */
  headers: Headers;
  status: number;
  retryAfter: string | null;
  problem?: { code: string; run_id?: string };
  sentAt: number;
  answeredAt: number;
}

/** A fetch that records every exchange; `shape` may hand the client a changed response (a cut stream). */
function recordingFetch(shape: (res: Response, exchange: Exchange) => Response | Promise<Response> = (res) => res) {
  const exchanges: Exchange[] = [];
  const recording: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const sentAt = Date.now();
    const res = await fetch(input, init);
    const exchange: Exchange = {
      method: init?.method ?? 'GET',
      path: url.pathname,
      search: url.search,
      headers: new Headers(init?.headers),
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      sentAt,
      answeredAt: Date.now(),
    };
    if (res.headers.get('content-type')?.startsWith('application/problem+json')) exchange.problem = (await res.clone().json()) as Exchange['problem'];
    exchanges.push(exchange);
    return shape(res, exchange);
  };
  return { fetch: recording, exchanges };
}

/**
 * The stream as a broken connection delivers it: `events` whole events, then either `drop` — the first
 * bytes of the next event, then a network error — or `silence` — nothing, ever, while it reads on
 * underneath so that the client's abort still reaches it.
 */
function interruptAfter(res: Response, events: number, how: 'drop' | 'silence'): Response {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const encoder = new TextEncoder();
  let text = '';
  let forwarded = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return controller.close();
        text += value;
        let end = -2;
        for (let i = 0; i < events && end !== -1; i++) end = text.indexOf('\n\n', end + 2);
        const until = end === -1 ? text.length : end + 2;
        const piece = text.slice(forwarded, until);
        forwarded = until;
        // A drop waits until some of the next event has arrived, sends a piece of it and breaks.
        if (how === 'drop' && end !== -1 && text.length >= until + 16) {
          controller.enqueue(encoder.encode(piece + text.slice(until, until + 16)));
          await reader.cancel();
          return controller.error(new TypeError('terminated: the test dropped the connection'));
        }
        if (piece) return controller.enqueue(encoder.encode(piece));
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return new Response(body, { status: res.status, headers: res.headers });
}

/** A recording fetch whose first event stream is interrupted (see interruptAfter); the rest pass as they are. */
function interruptFirstStream(events: number, how: 'drop' | 'silence') {
  let interrupted = false;
  return recordingFetch((res) => {
    if (interrupted || !res.headers.get('content-type')?.startsWith('text/event-stream')) return res;
    interrupted = true;
    return interruptAfter(res, events, how);
  });
}

async function rejection(promise: Promise<unknown>): Promise<ChainportError> {
  const err = await promise.then(
    () => assert.fail('expected a ChainportError'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ChainportError, `expected a ChainportError, got ${String(err)}`);
  return err;
}

async function collect(stream: AsyncIterable<RunStreamEvent>): Promise<RunStreamEvent[]> {
  const events: RunStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

/** Each agent's output as a client assembles it, asserting every chunk starts where the last one ended. */
function agentTexts(events: readonly RunStreamEvent[]): string[] {
  const texts: string[] = [];
  for (const event of events) {
    if (event.event === 'agent.retrying') texts[event.data.index] = '';
    if (event.event !== 'agent.output') continue;
    const sofar = texts[event.data.index] ?? '';
    assert.equal(event.data.offset, sofar.length, `chunk ${event.id} continues agent ${event.data.index} where it stopped`);
    texts[event.data.index] = sofar + event.data.chunk;
  }
  return texts;
}

/** The events other than output, by id and name: the same on every attach. */
function lifecycle(events: readonly RunStreamEvent[]): string[] {
  return events.filter((e) => e.event !== 'agent.output').map((e) => `${e.id} ${e.event}`);
}

function assertIdsIncrease(events: readonly RunStreamEvent[]): void {
  const tuple = (id: string) => [...id.split('.').map(Number), 0, 0].slice(0, 3);
  for (let i = 1; i < events.length; i++) {
    const [a, b] = [tuple(events[i - 1]!.id), tuple(events[i]!.id)];
    const order = a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!;
    assert.ok(order < 0, `ids increase: ${events[i - 1]!.id} then ${events[i]!.id}`);
  }
}

void describe('typed client (chainport/client) against the real API', () => {
  const stack = useStack({ env: { CHAINPORT_CALLERS_FILE: callersFile, CHAINPORT_WEBHOOK_ALLOW_PRIVATE: 'true' } });
  const receivers: WebhookReceiver[] = [];
  after(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    rmSync(callersDir, { recursive: true, force: true });
  });

  const client = (apiKey: string = CALLERS.alice, options: Partial<ChainportOptions> = {}) => new Chainport({ baseUrl: stack.api.url, apiKey, ...options });

  void describe('runs', () => {
    void it('run() answers the completed run, a pinned name@version included', async () => {
      const run = await client().run('chain-3@1', { topic: 'sync' });
      assert.equal(run.status, 'completed');
      assert.equal(run.chain_version, 1);
      assert.equal(run.output, CHAIN_3_OUTPUT('sync'));
      assert.deepEqual(run.agents.map((a) => [a.name, a.status]), [['first', 'completed'], ['second', 'completed'], ['third', 'completed']]);
    });

    void it('run() keeps waiting on the same run through the same Idempotency-Key when the sync wait times out', async () => {
      const { fetch, exchanges } = recordingFetch();
      const run = await client(CALLERS.alice, { fetch }).run('slow', {}, { timeoutS: 1 });
      assert.equal(run.status, 'completed');
      const posts = exchanges.filter((e) => e.method === 'POST' && e.path === '/api/v1/chains/slow');
      assert.ok(posts.length >= 3, `the run outlasts several 1 s waits (${posts.length} requests)`);
      for (const timedOut of posts.slice(0, -1)) assert.deepEqual([timedOut.status, timedOut.problem?.code, timedOut.problem?.run_id], [504, 'wait_timeout', run.run_id]);
      assert.equal(posts.at(-1)!.status, 200);
      const keys = new Set(posts.map((e) => e.headers.get('idempotency-key')));
      assert.equal(keys.size, 1, 'one generated key for every request');
      assert.ok([...keys][0], 'a key was sent');
      const executions = await eventually(async () => {
        const found = [];
        for await (const execution of stack.engine.client.workflow.list({ query: equals(WORKFLOW_ID, run.run_id) })) found.push(execution);
        return found.length > 0 && found.every((e) => e.status.name !== 'RUNNING') ? found : undefined;
      }, 10_000);
      assert.equal(executions.length, 1, 'the run started once');
    });

    void it('run() gives up after maxWaitS with wait_timeout and the run id; wait() then long-polls it: one request, answered as the run ends', async () => {
      const err = await rejection(client().run('slow', {}, { timeoutS: 1, maxWaitS: 1 }));
      assert.deepEqual([err.code, err.status, err.retryAfter], ['wait_timeout', 504, 2]);
      assert.match(err.runId ?? '', /^run-/);
      assert.equal(err.problem?.poll_url, `/api/v1/runs/${err.runId}`);

      const { fetch, exchanges } = recordingFetch();
      const run = await client(CALLERS.alice, { fetch }).wait(err.runId!);
      assert.equal(run.status, 'completed');
      assert.equal(run.output, 'done after w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 w14 w15 w16 w17 w18 w19 w20');
      assert.deepEqual(
        exchanges.map((e) => [e.path, e.search, e.status]),
        [[`/api/v1/runs/${err.runId}`, '?wait=30', 200]],
        'the run (about 4 s left) ends within one long poll',
      );
      const endedAt = Date.parse(run.completed_at!);
      assert.ok(exchanges[0]!.answeredAt - endedAt < 1_000, `answered ${exchanges[0]!.answeredAt - endedAt} ms after the run ended`);
    });

    void it('wait() paces its polls by Retry-After when a server answers long polls at once (one without ?wait=)', async () => {
      const { run_id: runId } = await client().start('slow');
      const { fetch: recording, exchanges } = recordingFetch();
      const withoutWait: typeof fetch = (input, init) => {
        const url = new URL(input instanceof Request ? input.url : input);
        url.searchParams.delete('wait');
        return recording(url, init);
      };
      const run = await client(CALLERS.alice, { fetch: withoutWait }).wait(runId);
      assert.equal(run.status, 'completed');
      assert.ok(exchanges.length >= 2, 'polled more than once');
      for (let i = 1; i < exchanges.length; i++) {
        const waitedMs = exchanges[i]!.sentAt - exchanges[i - 1]!.answeredAt;
        assert.ok(waitedMs >= Number(exchanges[i - 1]!.retryAfter) * 1000 - 20, `poll ${i} waited ${waitedMs} ms after Retry-After: ${exchanges[i - 1]!.retryAfter}`);
      }
    });

    void it('start() answers 202 at once, a repeat with its key is the same run, and wait() and get() read it', async () => {
      const key = `client-${randomUUID()}`;
      const accepted = await client().start('chain-3', { topic: 'async' }, { idempotencyKey: key });
      assert.deepEqual([accepted.status, accepted.chain, accepted.poll_url, accepted.stream_url], ['running', 'chain-3', `/api/v1/runs/${accepted.run_id}`, `/api/v1/runs/${accepted.run_id}/events`]);
      assert.equal((await client().start('chain-3', { topic: 'async' }, { idempotencyKey: key })).run_id, accepted.run_id);
      const run = await client().wait(accepted.run_id);
      assert.equal(run.status, 'completed');
      assert.equal(run.output, CHAIN_3_OUTPUT('async'));
      const again = await client().get(accepted.run_id);
      assert.deepEqual([again.status, again.output, again.completed_at], [run.status, run.output, run.completed_at]);
    });

    void it('cancel() ends a running run as cancelled; cancelling it again is run_ended', async () => {
      const { run_id: runId } = await client().start('slow');
      assert.equal((await client().cancel(runId)).run_id, runId);
      const run = await client().wait(runId);
      assert.equal(run.status, 'cancelled');
      assert.equal(run.error?.code, 'cancelled');
      const err = await rejection(client().cancel(runId));
      assert.deepEqual([err.code, err.status, err.runId], ['run_ended', 409, runId]);
    });

    void it('wait() returns a run that waits for input; input() answers it, with typed refusals; stream() yields run.waiting', async () => {
      const { run_id: runId } = await client().start('approval', { topic: 'client' });
      const waiting = await client().wait(runId);
      assert.equal(waiting.status, 'waiting_for_input');
      assert.equal(waiting.input_request?.step, 'approval');
      const events: RunStreamEvent[] = [];
      for await (const event of client().stream({ runId })) {
        events.push(event);
        if (event.event === 'run.waiting') break;
      }
      assert.deepEqual(events.at(-1)?.data, waiting.input_request);
      const invalid = await rejection(client().input(runId, 'approval', { approved: 1 }));
      assert.deepEqual([invalid.code, invalid.status, invalid.problem?.errors?.[0]?.path], ['validation_failed', 422, 'value.approved']);
      const early = await rejection(client().input(runId, 'publisher', {}));
      assert.deepEqual([early.code, early.status, early.runId], ['input_not_pending', 409, runId]);
      const answered = await client().input(runId, 'approval', { approved: true, note: 'client' }, { idempotencyKey: 'answer-1' });
      assert.equal(answered.agents[1]?.answered_by, 'caller');
      assert.equal((await client().input(runId, 'approval', { approved: true, note: 'client' }, { idempotencyKey: 'answer-1' })).run_id, runId);
      const late = await rejection(client().input(runId, 'approval', { approved: false }));
      assert.equal(late.code, 'input_already_provided');
      const done = await client().wait(runId);
      assert.equal(done.output, 'Published: client');
    });

    void it("list() walks every page of the caller's runs, newest first, and filters them", async () => {
      const bob = client(CALLERS.bob);
      const started: string[] = [];
      // Runs of `slow` stay running while they are listed: a run that ends between two pages moves in
      // Temporal's order (ended runs sort by close time), so a listing of ending runs can repeat one.
      for (const topic of ['a', 'b', 'c']) started.push((await bob.start('slow', { topic })).run_id);
      const pages = await eventually(async () => {
        const found = [];
        for await (const page of bob.list({ chain: 'slow', limit: 2 })) found.push(page);
        return found.flatMap((p) => p.data).length >= started.length ? found : undefined;
      }, 10_000);
      assert.equal(pages.length, 2);
      assert.deepEqual(pages.map((p) => p.next_cursor === null), [false, true], 'pages are linked by next_cursor until null');
      assert.deepEqual(pages.flatMap((p) => p.data.map((r) => r.run_id)), [...started].reverse());

      await Promise.all(started.map((runId) => bob.wait(runId)));
      const completed = await eventually(async () => {
        const runs = [];
        for await (const page of bob.list({ status: 'completed' })) runs.push(...page.data);
        return runs.length === started.length ? runs : undefined;
      }, 10_000);
      assert.ok(completed.every((r) => r.status === 'completed'));
    });

    void it('list() yields a run once per walk, also when it ends between two pages and the API lists it again', async () => {
      const bob = client(CALLERS.bob);
      // One run that stays running (it waits for an answer), and a newer one that ends between the pages.
      const waiting = (await bob.start('approval', { topic: 'older' })).run_id;
      const ending = (await bob.start('slow', { topic: 'newer' })).run_id;
      const listed = async (filter: Parameters<typeof bob.list>[0]) => {
        const ids: string[] = [];
        for await (const page of bob.list(filter)) ids.push(...page.data.map((r) => r.run_id));
        return ids;
      };
      await eventually(async () => ((await listed({ status: 'running' })).join() === [ending, waiting].join() ? true : undefined), 10_000);
      const walk = bob.list({ limit: 1 });
      assert.deepEqual((await walk.next()).value?.data.map((r) => r.run_id), [ending], 'page one: the newest running run');
      // It ends before page two: in Temporal's order it moves behind the running runs, past the cursor.
      await bob.wait(ending);
      await eventually(async () => ((await listed({ status: 'completed' })).includes(ending) ? true : undefined), 10_000);
      const rest: string[] = [];
      for await (const page of walk) rest.push(...page.data.map((r) => r.run_id));
      assert.equal(rest[0], waiting, 'the running run comes next');
      assert.ok(!rest.includes(ending), `the ended run is not yielded again: ${rest.join(', ')}`);
      await bob.cancel(waiting);
    });
  });

  void describe('rerun', () => {
    const EDITED = (topic: string) => `Edited: Draft on ${topic}: ["${topic} is old","it is ünïcode ✓"]`;
    /** A run of rerun-me@1, ended failed at its editor. */
    async function failedRun(topic = 'client'): Promise<string> {
      const { run_id: runId } = await client().start('rerun-me@1', { topic });
      assert.equal((await client().wait(runId)).status, 'failed');
      return runId;
    }

    void it('rerun() starts a new run from an agent, by name or index, that reuses the agents before it; list() finds it by rerun_of', async () => {
      const original = await failedRun();
      const accepted = await client().rerun(original, { from: 'editor' }, { chain: 'rerun-me@2' });
      assert.deepEqual([accepted.status, accepted.chain_version, accepted.rerun_of], ['running', 2, { run_id: original, from: 'editor' }]);
      const run = await client().wait(accepted.run_id);
      assert.equal(run.status, 'completed');
      assert.deepEqual(run.agents.map((a) => [a.name, a.status, a.cost, a.reused_cost]), [
        ['research', 'reused', 0, 0.01],
        ['draft', 'reused', 0, 0.02],
        ['editor', 'completed', 0.04, undefined],
      ]);
      assert.deepEqual([run.reused_cost, run.rerun_of, run.output], [0.03, { run_id: original, from: 'editor' }, EDITED('client')]);

      const byIndex = await client().wait((await client().rerun(original, { fromIndex: 1 }, { chain: 'rerun-me@2', input: { topic: 'index' } })).run_id);
      assert.deepEqual(byIndex.agents.map((a) => a.status), ['reused', 'completed', 'completed']);
      assert.deepEqual(byIndex.rerun_of, { run_id: original, from: 'draft' });
      assert.equal(byIndex.output, 'Edited: Draft on index: ["client is old","it is ünïcode ✓"]', 'the reused research keeps the original input; the draft sees the new one');

      const listed = await eventually(async () => {
        const runs = [];
        for await (const page of client().list({ rerun_of: original })) runs.push(...page.data.map((r) => r.run_id));
        return runs.length === 2 ? runs : undefined;
      });
      assert.deepEqual(new Set(listed), new Set([accepted.run_id, byIndex.run_id]));
    });

    void it('rerun() repeats with its key reach the same rerun; refusals are typed: validation_failed, not_found', async () => {
      const original = await failedRun();
      const key = `client-${randomUUID()}`;
      const first = await client().rerun(original, { from: 'editor' }, { chain: 'rerun-me@2', idempotencyKey: key });
      assert.equal((await client().rerun(original, { from: 'editor' }, { chain: 'rerun-me@2', idempotencyKey: key })).run_id, first.run_id);
      const unknown = await rejection(client().rerun(original, { from: 'no-such-agent' }));
      assert.deepEqual([unknown.code, unknown.status], ['validation_failed', 422]);
      const reshaped = await rejection(client().rerun(original, { from: 'editor' }, { chain: 'rerun-me@3' }));
      assert.equal(reshaped.code, 'validation_failed');
      const others = await rejection(client(CALLERS.bob).rerun(original, { from: 'editor' }));
      assert.deepEqual([others.code, others.status], ['not_found', 404]);
    });

    void it('streamRerun() yields the new run from run.started to run.completed, with agent events only for the agents that run again', async () => {
      const original = await failedRun();
      const events: RunStreamEvent[] = [];
      for await (const event of client().streamRerun(original, { from: 'editor' }, { chain: 'rerun-me@2' })) events.push(event);
      assert.equal(events[0]?.event, 'run.started');
      const agents = new Set(events.flatMap((e) => (e.event.startsWith('agent.') && 'agent' in e.data ? [e.data.agent] : [])));
      assert.deepEqual([...agents], ['editor']);
      const last = events.at(-1);
      assert.ok(last?.event === 'run.completed');
      assert.equal(last.data.output, EDITED('client'));
      assert.deepEqual((await client().get(last.data.run_id)).rerun_of, { run_id: original, from: 'editor' });
    });

    void it('rerunBatch() re-runs the matching runs once per key; rerunBatchStatus() follows it to per-run results', async () => {
      const createdAfter = new Date();
      const originals = [await failedRun('batch-a'), await failedRun('batch-b')];
      // The batch lists runs through Temporal's visibility, which sees a run's end a moment later.
      await eventually(async () => {
        const runs: string[] = [];
        for await (const page of client().list({ chain: 'rerun-me', status: 'failed' })) runs.push(...page.data.map((r) => r.run_id));
        return originals.every((id) => runs.includes(id)) ? true : undefined;
      });
      const filter = { chain: 'rerun-me@1', from: 'editor', targetChain: 'rerun-me@2', createdAfter };
      const key = `batch-${randomUUID()}`;
      const accepted = await client().rerunBatch(filter, { idempotencyKey: key });
      assert.deepEqual([accepted.status, accepted.poll_url], ['running', `/api/v1/reruns/${accepted.batch_id}`]);
      assert.equal((await client().rerunBatch(filter, { idempotencyKey: key })).batch_id, accepted.batch_id);
      const conflict = await rejection(client().rerunBatch({ ...filter, limit: 1 }, { idempotencyKey: key }));
      assert.equal(conflict.code, 'idempotency_conflict');

      const batch = await eventually(async () => {
        const now = await client().rerunBatchStatus(accepted.batch_id);
        return now.status === 'completed' ? now : undefined;
      }, 30_000);
      assert.deepEqual([batch.total, batch.started, batch.failed, batch.chain, batch.from], [2, 2, 0, 'rerun-me@2', 'editor']);
      assert.deepEqual(new Set(batch.results.map((r) => r.original_run_id)), new Set(originals));
      for (const result of batch.results) assert.equal((await client().wait(result.run_id!)).status, 'completed');
      assert.equal((await rejection(client().rerunBatchStatus('batch-k0123456789abcdef0123456789abcde'))).code, 'not_found');
    });
  });

  void describe('stream()', () => {
    void it('resumes a dropped stream with Last-Event-ID: no event twice, none missing', async () => {
      const dropAfter = 3;
      const { fetch, exchanges } = interruptFirstStream(dropAfter, 'drop');
      const events = await collect(client(CALLERS.alice, { fetch }).stream('streamed'));

      const first = events[0]!;
      assert.equal(first.event, 'run.started');
      const runId = first.event === 'run.started' ? first.data.run_id : '';
      const connections = exchanges.filter((e) => e.headers.get('accept') === 'text/event-stream');
      assert.deepEqual(
        connections.map((e) => [e.method, e.path, e.headers.get('last-event-id')]),
        [
          ['POST', '/api/v1/chains/streamed/stream', null],
          ['GET', `/api/v1/runs/${runId}/events`, events[dropAfter - 1]!.id],
        ],
        'one drop, then one reconnect right after the last whole event',
      );
      assert.ok(connections[0]!.headers.get('idempotency-key'), 'the start carries an Idempotency-Key');
      assert.equal(events[dropAfter - 1]!.event, 'agent.output', 'the drop came in the middle of an agent');

      assertIdsIncrease(events);
      const texts = agentTexts(events);
      const last = events.at(-1)!;
      assert.equal(last.event, 'run.completed');
      assert.equal(last.event === 'run.completed' && last.data.output, texts[2]);
      assert.equal((await client().get(runId)).output, texts[2]);

      // A full replay of the ended run: the same lifecycle and the same text per agent.
      const replay = await collect(client().stream({ runId }));
      assert.deepEqual(lifecycle(events), lifecycle(replay));
      assert.deepEqual(texts, agentTexts(replay));
    });

    // Without the idle timeout the silent connection would hold the stream forever: the timeout fails it.
    void it('takes a connection that goes silent as dropped and resumes it after idleTimeoutMs', { timeout: 30_000 }, async () => {
      const silentAfterEvents = 3;
      const { fetch, exchanges } = interruptFirstStream(silentAfterEvents, 'silence');
      const events = await collect(client(CALLERS.alice, { fetch }).stream('slow', {}, { reconnect: { idleTimeoutMs: 1000 } }));

      const connections = exchanges.filter((e) => e.headers.get('accept') === 'text/event-stream');
      assert.equal(connections.length, 2, 'one silent connection, then one resumed');
      assert.equal(connections[1]!.headers.get('last-event-id'), events[silentAfterEvents - 1]!.id);
      assert.ok(connections[1]!.sentAt - connections[0]!.answeredAt >= 1000, 'resumed only after a second of silence');
      assertIdsIncrease(events);
      assert.equal(events.at(-1)!.event, 'run.completed');
      assert.deepEqual(
        events.flatMap((e) => (e.event === 'agent.completed' ? [e.data.agent] : [])),
        ['quick', 'plodder', 'finisher'],
      );
    });

    void it('attaches to a run from after a lastEventId', async () => {
      const { run_id: runId } = await client().start('streamed');
      const all = await collect(client().stream({ runId }));
      const middle = all.findIndex((e) => e.event === 'agent.completed');
      const rest = await collect(client().stream({ runId, lastEventId: all[middle]!.id }));
      // Chunk boundaries differ between a live stream and a replay; the lifecycle and the texts do not.
      assert.deepEqual(lifecycle(rest), lifecycle(all.slice(middle + 1)));
      assert.deepEqual(agentTexts(rest).slice(1), agentTexts(all).slice(1));
    });

    void it('closes the connection when the loop is left, and the run goes on', async () => {
      const { run_id: runId } = await client().start('slow');
      const { fetch, exchanges } = recordingFetch();
      for await (const event of client(CALLERS.alice, { fetch }).stream({ runId })) if (event.event === 'agent.started') break;
      await eventually(async () => (stack.api.readers.stats().openStreams === 0 ? true : undefined), 5_000, 'the server to see the stream close');
      assert.equal(exchanges.length, 1, 'no reconnect');
      assert.equal((await client().get(runId)).status, 'running');
      await client().cancel(runId);
    });
  });

  void describe('webhooks', () => {
    void it('deliveries() and redeliver() show and resend signed deliveries that verifyWebhook accepts', async () => {
      const hook = await startWebhookReceiver();
      receivers.push(hook);
      const accepted = await client().start('chain-3', { topic: 'hooks' }, { webhook: { url: hook.url } });
      const secret = accepted.webhook?.secret ?? '';
      assert.match(secret, /^whsec_/, 'the generated secret is shown once');

      const [delivered] = await hook.waitFor(1);
      const payload = await verifyWebhook(secret, delivered!.headers, delivered!.body);
      assert.deepEqual([payload.event, payload.run_id, payload.output, payload.attempt], ['chain.completed', accepted.run_id, CHAIN_3_OUTPUT('hooks'), 1]);
      await assert.rejects(verifyWebhook(secret, delivered!.headers, delivered!.body.replace('hooks', 'hookz')), WebhookVerificationError);
      await assert.rejects(verifyWebhook(`${secret}x`, delivered!.headers, delivered!.body), WebhookVerificationError);

      const [delivery] = await eventually(async () => {
        const list = await client().deliveries(accepted.run_id);
        return list[0]?.status === 'delivered' ? list : undefined;
      }, 10_000);
      assert.equal(delivery!.delivery_id, payload.delivery_id);
      assert.deepEqual(delivery!.attempts.map((a) => a.status_code), [200]);

      const again = await client().redeliver(accepted.run_id, delivery!.delivery_id);
      assert.deepEqual([again.delivery_id, again.status], [delivery!.delivery_id, 'pending']);
      await hook.waitFor(2);
      const newest = await client().redeliver(accepted.run_id);
      assert.equal(newest.delivery_id, delivery!.delivery_id, 'without an id: the newest delivery');
      const all = await hook.waitFor(3);
      for (const resent of all.slice(1)) {
        assert.equal(resent.headers['webhook-id'], delivery!.delivery_id, 'the same webhook-id');
        assert.equal((await verifyWebhook(secret, resent.headers, resent.body)).run_id, accepted.run_id);
      }
      await eventually(async () => {
        const [record] = await client().deliveries(accepted.run_id);
        return record?.status === 'delivered' && record.attempts.length === 3 ? record : undefined;
      }, 10_000);
    });
  });

  void describe('errors', () => {
    void it('throws ChainportError typed by the problem code: chain_not_found, validation_failed, not_found, unauthorized, agent_failed', async () => {
      const unknown = await rejection(client().run('no-such-chain'));
      assert.deepEqual([unknown.code, unknown.status], ['chain_not_found', 404]);
      assert.ok(unknown.requestId, 'the request id to quote');

      const invalid = await rejection(client().start('chain-3', { topic: 42 }));
      assert.deepEqual([invalid.code, invalid.status], ['validation_failed', 422]);
      assert.ok(invalid.problem?.errors?.some((e) => e.path.startsWith('input')), JSON.stringify(invalid.problem?.errors));

      assert.deepEqual(await rejection(client().get('run-nope')).then((e) => [e.code, e.status]), ['not_found', 404]);
      assert.deepEqual(await rejection(client('not-a-real-key-0123456789').get('run-nope')).then((e) => [e.code, e.status]), ['unauthorized', 401]);

      const failed = await rejection(client().run('failing'));
      assert.deepEqual([failed.code, failed.status, failed.problem?.agent], ['agent_failed', 502, 'broken']);
      assert.match(failed.runId ?? '', /^run-/);

      const streamed = await rejection(client().stream('no-such-chain').next());
      assert.equal(streamed.code, 'chain_not_found');
    });

    void it('throws rate_limited with retryAfter when retrying is off, or when Retry-After is past maxDelayS', async () => {
      const limited = client(LIMITED, { retry: { maxRetries: 0 } });
      for (let i = 0; i < 3; i++) for await (const page of limited.list()) assert.ok(Array.isArray(page.data));
      const err = await rejection(limited.get('run-any'));
      assert.deepEqual([err.code, err.status], ['rate_limited', 429]);
      assert.ok(err.retryAfter !== undefined && err.retryAfter >= 1 && err.retryAfter <= 60, `retryAfter ${err.retryAfter}`);

      const began = Date.now();
      const capped = await rejection(client(LIMITED, { retry: { maxDelayS: 5 } }).get('run-any'));
      assert.equal(capped.code, 'rate_limited');
      assert.ok(Date.now() - began < 2_000, 'a Retry-After past maxDelayS is not waited for');
    });

    void it('retries a 429 after its Retry-After, with the same Idempotency-Key, and succeeds', async () => {
      const solo = client(SOLO);
      const blocking = await solo.start('slow');
      // The concurrent-run count comes from visibility: wait until it sees the first run.
      await eventually(async () => {
        for await (const page of solo.list({ status: 'running' })) if (page.data.some((r) => r.run_id === blocking.run_id)) return true;
        return undefined;
      }, 10_000);
      const { fetch, exchanges } = recordingFetch(async (res) => {
        if (res.status === 429) await solo.cancel(blocking.run_id); // frees the slot while the client waits
        return res;
      });
      const accepted = await client(SOLO, { fetch }).start('chain-3', { topic: 'after the wait' });
      const starts = exchanges.filter((e) => e.path === '/api/v1/chains/chain-3/runs');
      assert.equal(starts[0]!.status, 429);
      assert.equal(starts.at(-1)!.status, 202);
      const retryAfterMs = Number(starts[0]!.retryAfter) * 1000;
      assert.ok(retryAfterMs >= 1000, `Retry-After: ${starts[0]!.retryAfter}`);
      assert.ok(starts[1]!.sentAt - starts[0]!.answeredAt >= retryAfterMs - 20, 'the retry waited for Retry-After');
      assert.equal(new Set(starts.map((e) => e.headers.get('idempotency-key'))).size, 1);
      assert.equal((await solo.wait(accepted.run_id)).status, 'completed');
    });
  });
});
