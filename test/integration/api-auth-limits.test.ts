import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sha256 } from '../../src/api/callers.js';
import { WORKFLOW_ID, equals } from '../../src/runs/visibility-query.js';
import { CALLERS, startTestApi, type TestApi } from '../helpers/api.js';
import { expectProblem, json, pollRun, startAsync, ended, type Run, type RunAccepted, type RunList } from '../helpers/api-suite.js';
import { Started } from '../helpers/started.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { eventually } from '../helpers/runs.js';
import { startTestTemporal, type TestTemporal } from '../helpers/temporal.js';

// Authentication, per-caller rate and concurrency limits, and Idempotency-Key semantics, through
// the real API in front of a real Temporal dev server.

/** carol may run only `slow`, one run at a time. */
const CAROL = 'carol-key-0123456789abcdef';
const ALICE_RATE_PER_MIN = 5;

void describe('HTTP API: auth, limits and idempotency', () => {
  const started = new Started();
  let temporal: TestTemporal;
  let engine: TestEngine;
  /** alice and bob with the default limits, in front of a worker. */
  let api: TestApi;
  /** Limits from a callers file: alice 5 requests a minute, carol one concurrent run; no worker, so runs stay running. */
  let limitedApi: TestApi;

  before(() =>
    started.setup(async () => {
      temporal = started.add('temporal', await startTestTemporal(), (t) => t.stop());
      engine = started.add('engine', await startEngine(temporal.address), (e) => e.stop());
      await engine.startWorker();
      api = started.add('api', await startTestApi(engine), (a) => a.close(1_000));

      const dir = started.add('callers dir', mkdtempSync(path.join(os.tmpdir(), 'chainport-callers-')), async (d) => rmSync(d, { recursive: true, force: true }));
      const callersFile = path.join(dir, 'callers.yaml');
      writeFileSync(
        callersFile,
        [
          'callers:',
          `  - {id: alice, key_sha256: ${sha256(CALLERS.alice).toString('hex')}, rate_limit_per_min: ${ALICE_RATE_PER_MIN}}`,
          `  - {id: carol, key_sha256: ${sha256(CAROL).toString('hex')}, max_concurrent_runs: 1, chains: [slow]}`,
          '',
        ].join('\n'),
      );
      const limitedEngine = started.add(
        'limited engine',
        await startEngine(temporal.address, { CHAINPORT_CALLERS_FILE: callersFile, CHAINPORT_API_KEYS: `bob:${CALLERS.bob}` }),
        (e) => e.stop(),
      );
      limitedApi = started.add('limited api', await startTestApi(limitedEngine), (a) => a.close(1_000));
    }),
  );
  after(() => started.stopAll());

  void describe('authentication', () => {
    void it('answers 401 unauthorized with WWW-Authenticate when the key is missing', async () => {
      const res = await api.request('/api/v1/chains', { key: null });
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
      await expectProblem(res, 401, 'unauthorized');
    });

    void it('answers 401 unauthorized for a key no caller has, or a malformed Authorization header', async () => {
      await expectProblem(await api.request('/api/v1/chains', { key: 'not-a-real-key-0123456789' }), 401, 'unauthorized');
      await expectProblem(await api.request('/api/v1/runs', { key: null, headers: { authorization: `Basic ${CALLERS.alice}` } }), 401, 'unauthorized');
      await expectProblem(await api.request('/api/v1/chains/chain-3', { key: null, body: { input: { topic: 'x' } } }), 401, 'unauthorized');
    });

    void it('answers 403 forbidden when the key may not run the chain, and hides it from the chain list', async () => {
      await expectProblem(await limitedApi.request('/api/v1/chains/chain-3/runs', { key: CAROL, body: { input: { topic: 'x' } } }), 403, 'forbidden');
      const chains = await json<{ data: Array<{ name: string }> }>(await limitedApi.request('/api/v1/chains', { key: CAROL }), 200);
      assert.deepEqual(chains.data.map((c) => c.name), ['slow']);
      await expectProblem(await limitedApi.request('/api/v1/chains/chain-3', { key: CAROL }), 404, 'chain_not_found');
    });
  });

  void describe('rate limits', () => {
    void it('answers 429 rate_limited with Retry-After, RateLimit and RateLimit-Policy once a caller passes its rate, leaving other callers unaffected', async () => {
      for (let i = 0; i < ALICE_RATE_PER_MIN; i++) {
        const res = await limitedApi.request('/api/v1/chains');
        await json(res, 200);
        assert.equal(res.headers.get('ratelimit-policy'), `"requests";q=${ALICE_RATE_PER_MIN};w=60`);
        assert.match(res.headers.get('ratelimit') ?? '', new RegExp(`^"requests";r=${ALICE_RATE_PER_MIN - 1 - i};t=\\d+$`));
      }
      const limited = await limitedApi.request('/api/v1/chains');
      const retryAfter = Number(limited.headers.get('retry-after'));
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${limited.headers.get('retry-after')}`);
      assert.equal(limited.headers.get('ratelimit-policy'), `"requests";q=${ALICE_RATE_PER_MIN};w=60`);
      assert.match(limited.headers.get('ratelimit') ?? '', /^"requests";r=0;t=\d+$/);
      await expectProblem(limited, 429, 'rate_limited');
      // Every route counts, including starts, and the limit holds on the next request too.
      await expectProblem(await limitedApi.request('/api/v1/chains/slow/runs', { body: {} }), 429, 'rate_limited');

      for (let i = 0; i < 10; i++) await json(await limitedApi.request('/api/v1/chains', { key: CALLERS.bob }), 200);
      const bob = await limitedApi.request('/api/v1/runs', { key: CALLERS.bob });
      await json<RunList>(bob, 200);
      assert.match(bob.headers.get('ratelimit-policy') ?? '', /^"requests";q=600;w=60$/);
    });

    void it('answers 429 rate_limited with Retry-After when a caller already has max_concurrent_runs running', async () => {
      const first = await startAsync(limitedApi, 'slow', {}, CAROL);
      // The concurrency count comes from visibility: wait until it sees the first run.
      await eventually(async () => {
        const { data } = await json<RunList>(await limitedApi.request('/api/v1/runs?status=running', { key: CAROL }), 200);
        return data.some((r) => r.run_id === first.run_id) ? true : undefined;
      }, 10_000);
      const res = await limitedApi.request('/api/v1/chains/slow/runs', { key: CAROL, body: {} });
      assert.ok(Number(res.headers.get('retry-after')) >= 1, 'Retry-After');
      assert.match(res.headers.get('ratelimit-policy') ?? '', /^"concurrent-runs";q=1;/);
      assert.ok(res.headers.get('ratelimit'), 'RateLimit header');
      await expectProblem(res, 429, 'rate_limited');
      await expectProblem(await limitedApi.request('/api/v1/chains/slow', { key: CAROL, body: { timeout_s: 1 } }), 429, 'rate_limited');
      // Bob has no runs, so his starts go through.
      await startAsync(limitedApi, 'slow', {}, CALLERS.bob);
    });
  });

  void describe('Idempotency-Key', () => {
    void it('answers 50 concurrent identical requests with one run_id and starts exactly one workflow', async () => {
      const key = `burst-${randomUUID()}`;
      const responses = await Promise.all(
        Array.from({ length: 50 }, () => api.request('/api/v1/chains/chain-3/runs', { body: { input: { topic: 'burst' } }, headers: { 'idempotency-key': key } })),
      );
      const bodies = await Promise.all(responses.map((res) => json<RunAccepted>(res, 202)));
      const ids = new Set(bodies.map((b) => b.run_id));
      assert.equal(ids.size, 1, `run ids: ${[...ids].join(', ')}`);
      const [runId] = ids;
      for (const res of responses) assert.equal(res.headers.get('location'), `/api/v1/runs/${runId}`);

      const run = await pollRun(api, runId!, ended);
      assert.equal(run.status, 'completed');
      const executions = await eventually(async () => {
        const found = [];
        for await (const execution of engine.client.workflow.list({ query: equals(WORKFLOW_ID, runId!) })) found.push(execution);
        return found.length > 0 && found.every((e) => e.status.name !== 'RUNNING') ? found : undefined;
      }, 10_000);
      assert.equal(executions.length, 1, 'exactly one workflow execution');
      const history = await engine.client.workflow.getHandle(runId!).fetchHistory();
      const startedEvents = (history.events ?? []).filter((e) => e.workflowExecutionStartedEventAttributes);
      assert.equal(startedEvents.length, 1, 'one WorkflowExecutionStarted event');
      const { data } = await json<RunList>(await api.request('/api/v1/runs?chain=chain-3&limit=100'), 200);
      assert.equal(data.filter((r) => r.run_id === runId).length, 1);
    });

    void it('answers 422 idempotency_conflict when the key is reused with a different input', async () => {
      const key = `conflict-${randomUUID()}`;
      const original = await json<RunAccepted>(
        await api.request('/api/v1/chains/chain-3/runs', { body: { input: { topic: 'a' } }, headers: { 'idempotency-key': key } }),
        202,
      );
      const problem = await expectProblem(
        await api.request('/api/v1/chains/chain-3/runs', { body: { input: { topic: 'b' } }, headers: { 'idempotency-key': key } }),
        422,
        'idempotency_conflict',
      );
      assert.equal(problem.run_id, original.run_id);
      await expectProblem(
        await api.request('/api/v1/chains/chain-3', { body: { input: { topic: 'a' }, max_cost: 1 }, headers: { 'idempotency-key': key } }),
        422,
        'idempotency_conflict',
      );
      await expectProblem(
        await api.request('/api/v1/chains/flaky/runs', { body: { input: { topic: 'a' } }, headers: { 'idempotency-key': key } }),
        422,
        'idempotency_conflict',
      );
    });

    void it('returns the same run when the key is repeated with only a different timeout_s, or with keys in another order', async () => {
      const key = `timeout-${randomUUID()}`;
      const a = await json<Run>(await api.request('/api/v1/chains/chain-3', { body: { input: { topic: 'same' }, timeout_s: 30 }, headers: { 'idempotency-key': key } }), 200);
      const b = await json<Run>(await api.request('/api/v1/chains/chain-3', { body: { timeout_s: 60, input: { topic: 'same' } }, headers: { 'idempotency-key': key } }), 200);
      assert.equal(b.run_id, a.run_id);
      assert.equal(b.output, a.output);
      const c = await json<RunAccepted>(await api.request('/api/v1/chains/chain-3/runs', { body: { input: { topic: 'same' } }, headers: { 'idempotency-key': key } }), 202);
      assert.equal(c.run_id, a.run_id, 'the async route attaches to the same run');
    });

    void it('accepts a key of 255 characters and answers 400 for one of 256', async () => {
      await json<RunAccepted>(await api.request('/api/v1/chains/chain-3/runs', { body: { input: { topic: 'k' } }, headers: { 'idempotency-key': 'k'.repeat(255) } }), 202);
      const res = await api.request('/api/v1/chains/chain-3/runs', { body: { input: { topic: 'k' } }, headers: { 'idempotency-key': 'k'.repeat(256) } });
      assert.equal(res.status, 400);
      await expectProblem(res, 400, 'invalid_request');
    });

    void it('scopes keys per caller: alice and bob with the same key get different runs', async () => {
      const key = `shared-${randomUUID()}`;
      const body = { input: { topic: 'mine' } };
      const alice = await json<RunAccepted>(await api.request('/api/v1/chains/chain-3/runs', { body, headers: { 'idempotency-key': key } }), 202);
      const bob = await json<RunAccepted>(await api.request('/api/v1/chains/chain-3/runs', { body, key: CALLERS.bob, headers: { 'idempotency-key': key } }), 202);
      assert.notEqual(alice.run_id, bob.run_id);
      await pollRun(api, alice.run_id, ended);
      await pollRun(api, bob.run_id, ended, 20_000, CALLERS.bob);
      const again = await json<RunAccepted>(await api.request('/api/v1/chains/chain-3/runs', { body, key: CALLERS.bob, headers: { 'idempotency-key': key } }), 202);
      assert.equal(again.run_id, bob.run_id);
      // A different input from bob conflicts only with bob's run.
      const conflict = await expectProblem(
        await api.request('/api/v1/chains/chain-3/runs', { body: { input: { topic: 'other' } }, key: CALLERS.bob, headers: { 'idempotency-key': key } }),
        422,
        'idempotency_conflict',
      );
      assert.equal(conflict.run_id, bob.run_id);
    });
  });
});
