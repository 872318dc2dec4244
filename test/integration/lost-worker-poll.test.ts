import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getRun, startAsync } from '../helpers/api-suite.js';
import { Started } from '../helpers/started.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { TEST_SECRET_KEY, startEngine, type TestEngine } from '../helpers/engine.js';
import { eventually } from '../helpers/runs.js';
import { startTestTemporal, type TestTemporal } from '../helpers/temporal.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

/**
 * Once no worker has polled a task queue for a while (about 20 s), Temporal refuses queries on it at
 * once with 9 FAILED_PRECONDITION "no poller seen for task queue recently" instead of letting them
 * time out. A poll of a running run must still answer from history then, not 500.
 */
void describe('GET /api/v1/runs/{run_id} after the only worker was SIGKILLed', () => {
  const started = new Started();
  let engine: TestEngine;
  let api: TestApi;
  let worker: WorkerProcess;

  before(() =>
    started.setup(async () => {
      const temporal = started.add('temporal', await startTestTemporal(), (t: TestTemporal) => t.stop());
      engine = started.add('engine', await startEngine(temporal.address), (e: TestEngine) => e.stop());
      worker = started.add('worker', await startWorkerProcess({ address: temporal.address, taskQueue: engine.config.temporal.taskQueue, env: { CHAINPORT_SECRET_KEY: TEST_SECRET_KEY } }), (w) => w.stop());
      api = started.add('api', await startTestApi(engine), (a) => a.close(1_000));
    }),
  );
  after(() => started.stopAll());

  void it('answers 200 running from history once Temporal refuses queries for want of a poller', async () => {
    const accepted = await startAsync(api, 'slow', { input: {} });
    await eventually(async () => ((await getRun(api, accepted.run_id)).progress?.current_agent === 'plodder' ? true : undefined), 20_000, 'plodder to run');
    await worker.kill('SIGKILL');
    const killedAt = Date.now();

    // Poll like a client until well past the server's no-poller window; every answer is a 200.
    while (Date.now() - killedAt < 26_000) {
      const run = await getRun(api, accepted.run_id);
      assert.equal(run.status, 'running');
      assert.deepEqual(run.agents.map((a) => a.name), ['quick', 'plodder', 'finisher']);
      await new Promise((r) => setTimeout(r, 2_000));
    }
  });
});
