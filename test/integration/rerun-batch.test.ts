import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client, Connection } from '@temporalio/client';
import { createAgentKinds } from '../../src/activities/agents/registry.js';
import type { ChainCatalog } from '../../src/chains/catalog.js';
import { loadChains } from '../../src/chains/load.js';
import type { Config } from '../../src/config.js';
import { startRun } from '../../src/runs/start.js';
import { connectClient } from '../../src/temporal/connection.js';
import { RerunOfKey } from '../../src/workflows/definitions.js';
import type { RerunBatch } from '../../src/workflows/types.js';
import { CALLERS, startTestApi, type TestApi } from '../helpers/api.js';
import { expectProblem, json } from '../helpers/api-suite.js';
import { testConfig } from '../helpers/engine.js';
import { eventually } from '../helpers/runs.js';
import { startTestTemporal, type TestTemporal } from '../helpers/temporal.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

// A bulk rerun is a durable job: a Temporal workflow that lists the runs once and starts each rerun
// under an id derived from the batch and the run. Killing its worker mid-way loses nothing and
// re-runs nothing twice.

const RUNS = 200;

describe('bulk rerun (POST /api/v1/runs/rerun) across a worker SIGKILL', () => {
  let server: TestTemporal;
  let engine: { config: Config; catalog: ChainCatalog; client: Client; connection: Connection };
  let api: TestApi;
  const workers: WorkerProcess[] = [];

  before(async () => {
    server = await startTestTemporal();
    // No worker in this process: every task goes to the worker processes, one of which gets killed.
    const config = testConfig(server.address);
    const { connection, client } = await connectClient(config);
    engine = { config, catalog: loadChains(config, createAgentKinds(config)), client, connection };
    api = await startTestApi(engine);
  });
  after(async () => {
    for (const worker of workers) await worker.stop();
    await api?.close();
    await engine?.connection.close();
    await server?.stop();
  });

  it(`re-runs ${RUNS} failed runs from a step exactly once each, with results per run, though the worker dies mid-batch`, async () => {
    const workerOptions = { address: server.address, taskQueue: engine.config.temporal.taskQueue, env: { CHAINPORT_RERUN_BATCH_RATE: '20' } };
    const first = await startWorkerProcess(workerOptions);
    workers.push(first);
    const v1 = engine.catalog.resolve('rerun-me@1')!;
    const originals = await Promise.all(Array.from({ length: RUNS }, (_, i) => startRun(engine.client, engine.config, v1, { input: { topic: `t${i}` }, callerId: 'alice' })));
    await Promise.all(originals.map((handle) => handle.result().catch(() => undefined)));
    await eventually(async () => ((await engine.client.workflow.count("ChainName = 'rerun-me' AND RunStatus = 'failed'")).count === RUNS ? true : undefined), 30_000, 'every original listed as failed');

    const body = { chain: 'rerun-me@1', status: 'failed', from: 'editor', target_chain: 'rerun-me@2', limit: 1000 };
    const send = (sent: Record<string, unknown>, key?: string) => api.request('/api/v1/runs/rerun', { body: sent, ...(key && { headers: { 'idempotency-key': key } }) });
    const accepted = await json<{ batch_id: string; poll_url: string }>(await send(body, 'fix-editor'), 202);
    const poll = () => api.request(accepted.poll_url).then((res) => json<RerunBatch>(res, 200));

    const underWay = await eventually(async () => {
      const seen = await poll();
      return seen.started >= 40 ? seen : undefined;
    }, 60_000, 'the batch under way');
    await first.kill('SIGKILL');
    assert.ok(underWay.status === 'running' && underWay.started < RUNS, `the worker died mid-batch (${underWay.started} of ${RUNS} started)`);

    // Its progress lives in the workflow: with no worker to answer, a read is a prompt 503 saying so.
    const asked = Date.now();
    const unanswered = await api.request(accepted.poll_url);
    assert.equal(unanswered.headers.get('retry-after'), '5');
    const problem = await expectProblem(unanswered, 503, 'unavailable');
    assert.match(problem.detail, /no worker answered/);
    assert.ok(Date.now() - asked < 8_000, `answered in ${Date.now() - asked} ms, not after the call timeout`);

    workers.push(await startWorkerProcess(workerOptions));
    const batch = await eventually(async () => {
      const seen = await poll();
      return seen.status === 'completed' ? seen : undefined;
    }, 120_000, 'the batch to complete');

    assert.equal(batch.total, RUNS);
    assert.deepEqual([batch.started, batch.failed], [RUNS, 0], JSON.stringify(batch.results.find((r) => r.error)));
    assert.deepEqual(new Set(batch.results.map((r) => r.original_run_id)), new Set(originals.map((h) => h.workflowId)), 'one result per original');
    assert.equal(new Set(batch.results.map((r) => r.run_id)).size, RUNS, 'a distinct rerun for each');

    // Visibility holds exactly one rerun per original: none was started twice across the crash.
    const reruns = await eventually(async () => {
      const found: string[] = [];
      for await (const run of engine.client.workflow.list({ query: "ChainName = 'rerun-me' AND ChainVersion = 2" })) found.push(run.searchAttributes[RerunOfKey.name]?.[0] as string);
      return found.length >= RUNS ? found : undefined;
    }, 30_000, 'every rerun listed');
    assert.equal(reruns.length, RUNS);
    assert.equal(new Set(reruns).size, RUNS, 'no original re-run twice');

    const sample = batch.results[0]!;
    const rerun = await eventually(async () => {
      const res = await api.request(`/api/v1/runs/${sample.run_id}`);
      const run = (await res.json()) as { status: string; output: string; rerun_of: unknown };
      return run.status === 'running' ? undefined : run;
    }, 30_000, 'a rerun to end');
    assert.equal(rerun.status, 'completed');
    assert.deepEqual(rerun.rerun_of, { run_id: sample.original_run_id, from: 'editor' });
    assert.match(rerun.output, /^Edited: Draft on t\d+: /);

    // The key names the batch: a repeat answers it again, another body under it is a conflict.
    assert.equal((await json<{ batch_id: string }>(await send(body, 'fix-editor'), 202)).batch_id, accepted.batch_id);
    await expectProblem(await send({ ...body, limit: 5 }, 'fix-editor'), 422, 'idempotency_conflict');
    await expectProblem(await send(body), 400, 'invalid_request');
    await expectProblem(await api.request(accepted.poll_url, { key: CALLERS.bob }), 404, 'not_found');
  });
});
