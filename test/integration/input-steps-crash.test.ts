import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Connection } from '@temporalio/client';
import { createAgentKinds } from '../../src/activities/agents/registry.js';
import { loadChains } from '../../src/chains/load.js';
import { provideInput, withAnswer } from '../../src/runs/input.js';
import { readOwnedRun } from '../../src/runs/read.js';
import { connectClient } from '../../src/temporal/connection.js';
import { json, pollRun, startAsync, type Run } from '../helpers/api-suite.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { testConfig } from '../helpers/engine.js';
import { startTestTemporal, type TestTemporal } from '../helpers/temporal.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

/** A fake agent endpoint on 127.0.0.1 that counts every call by path, so a test sees an agent never runs twice. */
async function startCountingAgent() {
  const calls = new Map<string, number>();
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      calls.set(req.url ?? '', (calls.get(req.url ?? '') ?? 0) + 1);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('a run waiting at an input step when everything restarts', () => {
  let temporal: TestTemporal;
  let agent: Awaited<ReturnType<typeof startCountingAgent>>;
  let connection: Connection;
  let api: TestApi;
  const workers: WorkerProcess[] = [];
  let engine: Parameters<typeof startTestApi>[0];

  before(async () => {
    agent = await startCountingAgent();
    temporal = await startTestTemporal({ persist: true });
    const config = testConfig(temporal.address, { CHAINPORT_HTTP_AGENT_ALLOW_HOSTS: '127.0.0.1', CHAINPORT_AGENT_TEST_HTTP_URL: agent.url });
    const connected = await connectClient(config);
    connection = connected.connection;
    engine = { config, client: connected.client, catalog: loadChains(config, createAgentKinds(config)), tokens: undefined, localRuns: undefined };
    api = await startTestApi(engine);
  });
  after(async () => {
    for (const worker of workers) await worker.stop();
    await api?.close();
    await connection?.close();
    await temporal?.stop();
    await agent?.close();
    if (temporal?.dbFile) rmSync(path.dirname(temporal.dbFile), { recursive: true, force: true });
  });

  const startWorker = async () => {
    const worker = await startWorkerProcess({
      address: temporal.address,
      taskQueue: engine.config.temporal.taskQueue,
      env: { CHAINPORT_HTTP_AGENT_ALLOW_HOSTS: '127.0.0.1', CHAINPORT_AGENT_TEST_HTTP_URL: agent.url },
    });
    workers.push(worker);
    return worker;
  };

  it('survives a worker SIGKILL, an API restart and a dev-server restart; the answer runs only what follows the step', async () => {
    const first = await startWorker();
    const { run_id: runId } = await startAsync(api, 'approval-counted', { input: {} });
    const paused = await pollRun(api, runId, (run) => run.status === 'waiting_for_input', 30_000);
    assert.equal(paused.input_request?.prompt, 'Go on after {"path":"/count"}?');

    await first.kill('SIGKILL');
    await api.close();
    api = await startTestApi(engine);
    temporal = await temporal.restart();
    await startWorker();

    const still = await pollRun(api, runId, (run) => run.status !== 'running', 30_000);
    assert.equal(still.status, 'waiting_for_input', 'the run still waits after every restart');
    assert.equal(still.input_request?.step, 'approval');
    const answered = await json<Run>(await api.request(`/api/v1/runs/${runId}/input`, { body: { step: 'approval', value: { go: true } } }), 200);
    assert.notEqual(answered.status, 'waiting_for_input');

    const done = await pollRun(api, runId, (run) => run.status === 'completed', 30_000);
    assert.deepEqual(done.output, { path: '/after' });
    assert.deepEqual(
      done.agents.map((a) => [a.name, a.status, a.attempts]),
      [
        ['counted', 'completed', 1],
        ['approval', 'completed', 1],
        ['after', 'completed', 1],
      ],
    );
    assert.equal(agent.calls.get('/count'), 1, 'the agent before the step ran once, however many restarts');
    assert.equal(agent.calls.get('/after'), 1, 'the agent after the step ran once the answer came');
  });

  it('an answer taken just before the worker dies is shown as taken, though no worker answers the read after it', async () => {
    for (const worker of workers.splice(0)) await worker.stop();
    const worker = await startWorker();
    const { run_id: runId } = await startAsync(api, 'approval-counted', { input: {} });
    await pollRun(api, runId, (run) => run.status === 'waiting_for_input', 30_000);

    // What POST /runs/{id}/input does, with the worker killed between the answer and the read.
    const taken = await provideInput(engine.client, { runId, callerId: 'alice', step: 'approval', value: { go: true }, answeredBy: 'caller' });
    await worker.kill('SIGKILL');
    const read = await readOwnedRun(engine.client, runId, 'alice');
    assert.equal(read.state.agents.find((a) => a.name === 'approval')?.answered_by, undefined, 'the read came from history alone');
    const shown = withAnswer(read, taken);
    assert.equal(shown.state.agents.find((a) => a.name === 'approval')?.answered_by, 'caller');
    assert.equal(shown.state.run_id, runId);
  });
});
