import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CALLERS, startTestApi, type TestApi } from '../helpers/api.js';
import { assertIsoTime, assertRunFields, ended, expectProblem, getRun, json, pollRun, startAsync, type Chain, type ChainList, type Run, type RunList } from '../helpers/api-suite.js';
import { Started } from '../helpers/started.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { eventually } from '../helpers/runs.js';
import { startTestTemporal, type TestTemporal } from '../helpers/temporal.js';

// Runs through the HTTP API: sync and async starts, polling, cancel, listing, chains, two callers,
// health. A real Temporal dev server, an in-process worker and the real API on a socket.

const SLOW_OUTPUT = `done after ${Array.from({ length: 20 }, (_, i) => `w${i + 1}`).join(' ')}`;

void describe('HTTP API: runs', () => {
  const started = new Started();
  let api: TestApi;
  let engine: TestEngine;
  /** An API whose task queue no worker polls. */
  let idleApi: TestApi;
  let idleEngine: TestEngine;

  before(() =>
    started.setup(async () => {
      const temporal = started.add('temporal', await startTestTemporal(), (t: TestTemporal) => t.stop());
      engine = started.add('engine', await startEngine(temporal.address), (e: TestEngine) => e.stop());
      await engine.startWorker();
      api = started.add('api', await startTestApi(engine), (a) => a.close(1_000));
      idleEngine = started.add('idle engine', await startEngine(temporal.address), (e: TestEngine) => e.stop());
      idleApi = started.add('idle api', await startTestApi(idleEngine), (a) => a.close(1_000));
    }),
  );
  after(() => started.stopAll());

  void describe('POST /api/v1/chains/{chain} (sync)', () => {
    void it('answers 200 with the output and every pinned run field once the run completes', async () => {
      const res = await api.request('/api/v1/chains/chain-3', { body: { input: { topic: 'otters' } } });
      const run = await json<Run>(res, 200);
      assertRunFields(run);
      assert.equal(run.chain, 'chain-3');
      assert.equal(run.chain_version, 1);
      assert.equal(run.status, 'completed');
      assert.equal(run.cost, 0.06);
      const created = assertIsoTime(run.created_at, 'created_at');
      const completed = assertIsoTime(run.completed_at, 'completed_at');
      assert.ok(completed >= created);
      assert.match(String(run.output), /^third saw: second saw: one two .* otters$/);
      assert.deepEqual(
        run.agents.map(({ name, status, attempts, cost }) => ({ name, status, attempts, cost })),
        [
          { name: 'first', status: 'completed', attempts: 1, cost: 0.01 },
          { name: 'second', status: 'completed', attempts: 1, cost: 0.02 },
          { name: 'third', status: 'completed', attempts: 1, cost: 0.03 },
        ],
      );
      for (const agent of run.agents) assert.ok(Number.isInteger(agent.duration_ms) && agent.duration_ms! >= 0, `${agent.name} duration_ms`);
      assert.equal(run.progress, undefined, 'an ended run has no progress');
      assert.equal(run.error, undefined);
    });

    void it('runs the version a name@version reference pins, and the newest for a bare name', async () => {
      const v1 = await json<Run>(await api.request('/api/v1/chains/json-output@1', { body: {} }), 200);
      assert.equal(v1.chain_version, 1);
      assert.equal(v1.output, 'version one');
      const newest = await json<Run>(await api.request('/api/v1/chains/json-output', { body: { input: { name: 'Ada' } } }), 200);
      assert.equal(newest.chain_version, 2);
      assert.deepEqual(newest.output, { name: 'Ada', tags: ['a', 'b'], score: 7 });
    });

    void describe('when the wait ends before the run', () => {
      const key = `slow-${randomUUID()}`;
      let runId: string | undefined;

      void it('answers 504 wait_timeout with run_id and poll_url, and the run goes on', async () => {
        const t0 = Date.now();
        const res = await api.request('/api/v1/chains/slow', { body: { timeout_s: 1 }, headers: { 'idempotency-key': key } });
        const problem = await expectProblem(res, 504, 'wait_timeout');
        const waited = Date.now() - t0;
        assert.ok(waited >= 900 && waited < 4_000, `answered after ${waited} ms for timeout_s 1`);
        assert.match(problem.run_id ?? '', /^run-/);
        assert.equal(problem.poll_url, `/api/v1/runs/${problem.run_id}`);
        runId = problem.run_id;
        const polled = await json<Run>(await api.request(problem.poll_url!), 200);
        assert.equal(polled.run_id, runId);
        assert.equal(polled.status, 'running', 'the run goes on after the wait ends');
      });

      void it('returns 200 with the same run_id and the finished output when repeated with the Idempotency-Key and a longer timeout_s', async () => {
        assert.ok(runId, 'the previous test started the run');
        const res = await api.request('/api/v1/chains/slow', { body: { timeout_s: 30 }, headers: { 'idempotency-key': key } });
        const run = await json<Run>(res, 200);
        assert.equal(run.run_id, runId);
        assert.equal(run.status, 'completed');
        assert.equal(run.output, SLOW_OUTPUT);
        assert.equal(run.cost, 0.06);
      });
    });

    void it('answers 502 agent_failed naming the agent when an agent fails for good', async () => {
      const problem = await expectProblem(await api.request('/api/v1/chains/failing', { body: {} }), 502, 'agent_failed');
      assert.equal(problem.agent, 'broken');
      assert.match(problem.detail, /the model refused/);
      assert.match(problem.run_id ?? '', /^run-/);
      assert.equal(problem.poll_url, `/api/v1/runs/${problem.run_id}`);
    });

    void it('answers 402 budget_exceeded when spent cost passes the chain budget', async () => {
      const problem = await expectProblem(await api.request('/api/v1/chains/budget', { body: {} }), 402, 'budget_exceeded');
      assert.match(problem.run_id ?? '', /^run-/);
    });

    void it('answers 402 budget_exceeded when the request max_cost is lower than what the run spends', async () => {
      await expectProblem(await api.request('/api/v1/chains/chain-3', { body: { input: { topic: 'x' }, max_cost: 0.005 } }), 402, 'budget_exceeded');
    });

    void it('answers 504 chain_timeout when the chain exceeds its own time limit', async () => {
      const problem = await expectProblem(await api.request('/api/v1/chains/short-timeout', { body: {} }), 504, 'chain_timeout');
      assert.match(problem.run_id ?? '', /^run-/);
    });
  });

  void describe('POST /api/v1/chains/{chain}/runs (async) and GET /api/v1/runs/{id}', () => {
    void it('answers 202 with Location, run_id, status running, poll_url, stream_url and estimated_duration_s', async () => {
      const res = await api.request('/api/v1/chains/estimated/runs', { body: {} });
      const accepted = await json<Record<string, unknown>>(res, 202);
      const runId = accepted.run_id as string;
      assertRunFields(accepted as unknown as Run);
      assert.equal(res.headers.get('location'), `/api/v1/runs/${runId}`);
      assert.equal(accepted.status, 'running');
      assert.equal(accepted.chain, 'estimated');
      assert.equal(accepted.chain_version, 1);
      assert.equal(accepted.poll_url, `/api/v1/runs/${runId}`);
      assert.equal(accepted.stream_url, `/api/v1/runs/${runId}/events`);
      assert.equal(accepted.estimated_duration_s, 2);
      const run = await pollRun(api, runId, ended);
      assert.equal(run.status, 'completed');

      // `budget` declares no estimate and never completes, so no history can give one either.
      const noEstimate = await startAsync(api, 'budget', { input: {} });
      assert.equal(noEstimate.estimated_duration_s, null, 'null when the chain declares no estimate and has no completed runs');
    });

    void it('answers a running run with progress and Retry-After: 2', async () => {
      const { run_id } = await startAsync(api, 'slow');
      try {
        const { run, res } = await eventually(async () => {
          const res = await api.request(`/api/v1/runs/${run_id}`);
          const run = await json<Run>(res, 200);
          return run.progress?.current_agent === 'plodder' ? { run, res } : undefined;
        });
        assertRunFields(run);
        assert.equal(run.status, 'running');
        assert.equal(res.headers.get('retry-after'), '2');
        assert.deepEqual(run.progress, { current_agent: 'plodder', agents_completed: 1, agents_total: 3 });
        assert.deepEqual(run.agents.map((a) => a.status), ['completed', 'running', 'pending']);
        assert.equal(run.cost, 0.01);
        assert.equal(run.output, undefined);
        assert.equal(run.completed_at, undefined);
        assert.equal(run.error, undefined);
      } finally {
        await api.request(`/api/v1/runs/${run_id}/cancel`, { method: 'POST' });
      }
    });

    void it('costs a run polled through its first seconds no touch signal: its start counts as one', async () => {
      const { run_id } = await startAsync(api, 'slow');
      const run = await pollRun(api, run_id, ended);
      assert.equal(run.status, 'completed');
      const { events } = await engine.client.workflow.getHandle(run_id).fetchHistory();
      const signals = (events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes);
      assert.equal(signals.length, 0, 'no touch: the orphan rule needs none for a run younger than the touch interval');
    });

    void it('with ?wait=, answers a running run the moment it ends, or with its progress when the wait runs out', async () => {
      const { run_id } = await startAsync(api, 'slow');
      const t0 = Date.now();
      const cut = await api.request(`/api/v1/runs/${run_id}?wait=1`);
      const waitedMs = Date.now() - t0;
      const running = await json<Run>(cut, 200);
      assert.equal(running.status, 'running');
      assert.ok(running.progress, 'the progress at the end of the wait');
      assert.equal(cut.headers.get('retry-after'), '2');
      assert.ok(waitedMs >= 900 && waitedMs < 5_000, `waited ${waitedMs} ms for a 1 s wait`);

      const res = await api.request(`/api/v1/runs/${run_id}?wait=30`);
      const run = await json<Run>(res, 200);
      assert.equal(run.status, 'completed');
      assert.match(String(run.output), /^done after w1/);
      assert.ok(Date.now() - Date.parse(run.completed_at!) < 1_000, 'answered as the run ended, not at the end of the wait');
      assert.equal(res.headers.get('retry-after'), null);
      const next = await json<Run>(await api.request(`/api/v1/runs/${run_id}`), 200);
      assert.equal(next.status, 'completed', 'a poll right after never answers a read from before the end');

      const ended = Date.now();
      await json<Run>(await api.request(`/api/v1/runs/${run_id}?wait=30`), 200);
      assert.ok(Date.now() - ended < 1_000, 'an ended run is answered at once');
      for (const wait of ['31', '-1', '1.5', 'soon']) {
        await expectProblem(await api.request(`/api/v1/runs/${run_id}?wait=${wait}`), 422, 'validation_failed');
      }
    });

    void it('answers a completed run with its output and no progress or Retry-After', async () => {
      const { run_id } = await startAsync(api, 'chain-3', { input: { topic: 'polled' } });
      await pollRun(api, run_id, ended);
      const res = await api.request(`/api/v1/runs/${run_id}`);
      const run = await json<Run>(res, 200);
      assert.equal(run.status, 'completed');
      assert.match(String(run.output), /polled$/);
      assert.equal(run.progress, undefined);
      assert.equal(res.headers.get('retry-after'), null);
      assertIsoTime(run.completed_at, 'completed_at');
    });

    void it('answers a failed run with an error problem carrying code agent_failed and the agent', async () => {
      const { run_id } = await startAsync(api, 'failing');
      await pollRun(api, run_id, ended);
      const res = await api.request(`/api/v1/runs/${run_id}`);
      const run = await json<Run>(res, 200);
      assert.equal(run.status, 'failed');
      assert.equal(run.output, undefined);
      assert.deepEqual(run.agents.map((a) => a.status), ['completed', 'failed', 'skipped']);
      const error = run.error!;
      assert.equal(error.code, 'agent_failed');
      assert.equal(error.status, 502);
      assert.equal(error.agent, 'broken');
      assert.equal(error.run_id, run_id);
      assert.equal(error.request_id, res.headers.get('x-request-id'));
      for (const member of ['type', 'title', 'detail'] as const) assert.equal(typeof error[member], 'string');
    });

    void it('answers a timed-out run with status timed_out and error code chain_timeout', async () => {
      const { run_id } = await startAsync(api, 'short-timeout');
      const run = await pollRun(api, run_id, ended);
      assert.equal(run.status, 'timed_out');
      assert.equal(run.error?.code, 'chain_timeout');
      assert.equal(run.error?.status, 504);
    });
  });

  void describe('POST /api/v1/runs/{id}/cancel', () => {
    void it('answers 202 and the run ends cancelled with error code cancelled', async () => {
      const { run_id } = await startAsync(api, 'slow');
      await pollRun(api, run_id, (r) => r.progress?.current_agent === 'plodder');
      const res = await api.request(`/api/v1/runs/${run_id}/cancel`, { method: 'POST' });
      const accepted = await json<Run>(res, 202);
      assert.equal(accepted.run_id, run_id);
      assert.equal(res.headers.get('location'), `/api/v1/runs/${run_id}`);
      const run = await pollRun(api, run_id, ended, 10_000);
      assertRunFields(run);
      assert.equal(run.status, 'cancelled');
      assert.equal(run.error?.code, 'cancelled');
      assert.equal(run.error?.status, 409);
      assert.deepEqual(run.agents.map((a) => a.status), ['completed', 'cancelled', 'skipped']);
      assertIsoTime(run.completed_at, 'completed_at');
    });

    void it('answers 409 run_ended when the run already ended', async () => {
      const done = await json<Run>(await api.request('/api/v1/chains/chain-3', { body: { input: { topic: 'x' } } }), 200);
      const problem = await expectProblem(await api.request(`/api/v1/runs/${done.run_id}/cancel`, { method: 'POST' }), 409, 'run_ended');
      assert.equal(problem.run_id, done.run_id);
      assert.equal((await getRun(api, done.run_id)).status, 'completed', 'the ended run is unchanged');
    });

    void it('answers 404 not_found for a run that does not exist', async () => {
      await expectProblem(await api.request('/api/v1/runs/run-doesnotexist0000000/cancel', { method: 'POST' }), 404, 'not_found');
      await expectProblem(await api.request('/api/v1/runs/run-doesnotexist0000000'), 404, 'not_found');
    });
  });

  void describe('two callers', () => {
    void it("answers 404 not_found when bob reads or cancels alice's run, and the run is untouched", async () => {
      const { run_id } = await startAsync(api, 'slow');
      try {
        await expectProblem(await api.request(`/api/v1/runs/${run_id}`, { key: CALLERS.bob }), 404, 'not_found');
        await expectProblem(await api.request(`/api/v1/runs/${run_id}/cancel`, { method: 'POST', key: CALLERS.bob }), 404, 'not_found');
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.equal((await getRun(api, run_id)).status, 'running', "bob's cancel did not reach alice's run");
      } finally {
        await api.request(`/api/v1/runs/${run_id}/cancel`, { method: 'POST' });
      }
    });
  });

  void describe('GET /api/v1/runs', () => {
    /** bob's runs, oldest first; bob starts runs nowhere else in this file. */
    const bobRuns: string[] = [];
    let bobFailed: string;
    let aliceRun: string;

    /** Every page of a listing, following next_cursor until it is null. */
    async function listAll(query: string, key: string = CALLERS.alice): Promise<{ ids: string[]; pages: RunList[] }> {
      const pages: RunList[] = [];
      let cursor: string | null = null;
      do {
        const sep = query ? '&' : '';
        const path: string = `/api/v1/runs?${query}${cursor ? `${sep}cursor=${encodeURIComponent(cursor)}` : ''}`;
        const page: RunList = await json<RunList>(await api.request(path, { key }), 200);
        pages.push(page);
        cursor = page.next_cursor;
        assert.ok(pages.length < 50, 'pagination ends');
      } while (cursor);
      return { ids: pages.flatMap((p) => p.data.map((r) => r.run_id)), pages };
    }

    /** Polls until the listing holds exactly `expected` (visibility may lag a little behind a run's end). */
    async function listUntil(query: string, expected: string[], key: string = CALLERS.bob) {
      const want = [...expected].sort();
      let last: string[] = [];
      const result = await eventually(async () => {
        const listed = await listAll(query, key);
        last = listed.ids;
        return JSON.stringify([...listed.ids].sort()) === JSON.stringify(want) ? listed : undefined;
      }, 10_000).catch(() => undefined);
      if (!result) assert.fail(`GET /api/v1/runs?${query} never listed ${JSON.stringify(want)}; last listed ${JSON.stringify(last)}`);
      return result;
    }

    before(async () => {
      for (const topic of ['one', 'two', 'three']) {
        bobRuns.push((await json<Run>(await api.request('/api/v1/chains/chain-3', { body: { input: { topic } }, key: CALLERS.bob }), 200)).run_id);
      }
      const failed = await expectProblem(await api.request('/api/v1/chains/failing', { body: {}, key: CALLERS.bob }), 502, 'agent_failed');
      bobFailed = failed.run_id!;
      bobRuns.push(bobFailed);
      aliceRun = (await json<Run>(await api.request('/api/v1/chains/chain-3', { body: { input: { topic: 'alice' } } }), 200)).run_id;
    });

    void it("lists only the caller's own runs, newest first, with the pinned run fields", async () => {
      const { pages } = await listUntil('limit=100', bobRuns);
      assert.equal(pages.length, 1);
      const [page] = pages;
      assert.equal(page!.next_cursor, null);
      assert.deepEqual(page!.data.map((r) => r.run_id), [...bobRuns].reverse(), 'newest first');
      for (const run of page!.data) {
        assertRunFields(run);
        assertIsoTime(run.created_at, 'created_at');
        assertIsoTime(run.completed_at, 'completed_at');
      }
      const completed = page!.data.find((r) => r.run_id === bobRuns[0])!;
      assert.deepEqual({ chain: completed.chain, chain_version: completed.chain_version, status: completed.status, cost: completed.cost }, {
        chain: 'chain-3',
        chain_version: 1,
        status: 'completed',
        cost: 0.06,
      });
    });

    void it("never shows another caller's runs", async () => {
      const alice = await eventually(async () => {
        const result = await listAll('limit=100');
        return result.ids.includes(aliceRun) ? result : undefined;
      }, 10_000);
      for (const id of bobRuns) assert.ok(!alice.ids.includes(id), `alice's list shows bob's run ${id}`);
      const bob = await listAll('limit=100', CALLERS.bob);
      assert.ok(!bob.ids.includes(aliceRun), "bob's list shows alice's run");
    });

    void it('pages through every run with limit=1 and next_cursor, with no duplicates', async () => {
      const { ids, pages } = await listUntil('limit=1', bobRuns);
      assert.equal(new Set(ids).size, ids.length, 'no run appears twice');
      for (const page of pages) assert.ok(page.data.length <= 1, 'a page holds at most limit runs');
      assert.ok(pages.length >= bobRuns.length);
    });

    void it('filters by status and by chain', async () => {
      await listUntil('status=failed', [bobFailed]);
      await listUntil('status=completed', bobRuns.filter((id) => id !== bobFailed));
      await listUntil('chain=chain-3', bobRuns.filter((id) => id !== bobFailed));
      await listUntil('chain=chain-3@1&status=completed', bobRuns.filter((id) => id !== bobFailed));
      await listUntil('chain=failing&status=failed', [bobFailed]);
      await listUntil('chain=chain-3@2', []);
      await listUntil('status=running', []);
      const { data } = await json<RunList>(await api.request('/api/v1/runs?status=completed&limit=100'), 200);
      assert.ok(data.length > 0 && data.every((r) => r.status === 'completed'), "alice's status filter holds only completed runs");
    });

    void it('finds running runs with status=running', async () => {
      const { run_id } = await startAsync(api, 'slow', {}, CALLERS.bob);
      try {
        await listUntil('status=running', [run_id]);
      } finally {
        await api.request(`/api/v1/runs/${run_id}/cancel`, { method: 'POST', key: CALLERS.bob });
      }
      bobRuns.push(run_id);
    });

    void it('answers 422 validation_failed for a bad limit or status', async () => {
      const limit = await expectProblem(await api.request('/api/v1/runs?limit=0'), 422, 'validation_failed');
      assert.equal(limit.errors?.[0]?.path, 'query.limit');
      const status = await expectProblem(await api.request('/api/v1/runs?status=sleeping'), 422, 'validation_failed');
      assert.equal(status.errors?.[0]?.path, 'query.status');
    });
  });

  void describe('GET /api/v1/chains', () => {
    void it('lists every chain at its newest version with versions, description, input_schema and agents', async () => {
      const list = await json<ChainList>(await api.request('/api/v1/chains'), 200);
      assert.equal(list.next_cursor, null);
      const names = list.data.map((c) => c.name);
      assert.deepEqual(names, [...names].sort(), 'sorted by name');
      const chain3 = list.data.find((c) => c.name === 'chain-3')!;
      assert.deepEqual(chain3, {
        name: 'chain-3',
        version: 1,
        versions: [1],
        description: 'Three zero-delay simulated agents (the benchmark chain)',
        input_schema: { type: 'object', required: ['topic'], properties: { topic: { type: 'string' } } },
        agents: ['first', 'second', 'third'],
        estimated_duration_s: null,
        available: true,
        unavailable_reason: null,
      });
      const json2 = list.data.find((c) => c.name === 'json-output')!;
      assert.equal(json2.version, 2);
      assert.deepEqual(json2.versions, [2, 1]);
      assert.deepEqual(json2.agents, ['extractor', 'greeter']);
    });

    void it('describes one chain by name or by name@version', async () => {
      const newest = await json<Chain>(await api.request('/api/v1/chains/json-output'), 200);
      assert.equal(newest.version, 2);
      const v1 = await json<Chain>(await api.request('/api/v1/chains/json-output@1'), 200);
      assert.equal(v1.version, 1);
      assert.deepEqual(v1.versions, [2, 1]);
      assert.deepEqual(v1.agents, ['only']);
      assert.deepEqual(v1.input_schema, { type: 'object' });
      const slow = await json<Chain>(await api.request('/api/v1/chains/slow'), 200);
      assert.equal(slow.description, 'Agent 2 takes about 4 s; used for cancel, crash and timeout tests');
    });

    void it('answers 404 chain_not_found for an unknown name or version', async () => {
      await expectProblem(await api.request('/api/v1/chains/no-such-chain'), 404, 'chain_not_found');
      await expectProblem(await api.request('/api/v1/chains/json-output@9'), 404, 'chain_not_found');
      await expectProblem(await api.request('/api/v1/chains/Not_A_Name'), 404, 'chain_not_found');
    });
  });

  void describe('without a worker', () => {
    void it('still answers GET /runs/{id} with status running within a few seconds', async () => {
      const accepted = await startAsync(idleApi, 'chain-3', { input: { topic: 'nobody home' } });
      const t0 = Date.now();
      const run = await getRun(idleApi, accepted.run_id);
      const took = Date.now() - t0;
      assert.ok(took < 5_000, `answered in ${took} ms`);
      assertRunFields(run);
      assert.equal(run.status, 'running');
      assert.deepEqual(run.progress, { current_agent: null, agents_completed: 0, agents_total: 3 });
      assert.deepEqual(run.agents.map((a) => a.name), ['first', 'second', 'third']);
    });
  });

  void describe('health', () => {
    void it('answers /healthz 200 without a key', async () => {
      assert.deepEqual(await json(await api.request('/healthz', { key: null }), 200), { status: 'ok' });
    });

    void it('answers /readyz 200 {"status":"ready"} when a worker polls the task queue', async () => {
      assert.deepEqual(await json(await api.request('/readyz', { key: null }), 200), { status: 'ready' });
    });

    void it('answers /readyz 503 {"status":"not_ready"} with no reason when no worker polls, asking Temporal at most once a second', async () => {
      // Counts the real calls (no stand-in): many hits within a second must share one check.
      const service = idleEngine.client.workflowService;
      const describeTaskQueue = service.describeTaskQueue;
      let calls = 0;
      service.describeTaskQueue = Object.assign((request: Parameters<typeof describeTaskQueue>[0]) => {
        calls += 1;
        return describeTaskQueue.call(service, request);
      }, describeTaskQueue);
      try {
        await new Promise((resolve) => setTimeout(resolve, 1_100)); // past any check cached by an earlier test
        const bodies = await Promise.all(Array.from({ length: 10 }, async () => json(await idleApi.request('/readyz', { key: null }), 503)));
        for (const body of bodies) assert.deepEqual(body, { status: 'not_ready' });
        assert.equal(calls, 1, 'ten hits within a second asked Temporal once');
      } finally {
        service.describeTaskQueue = describeTaskQueue;
      }
    });
  });
});
