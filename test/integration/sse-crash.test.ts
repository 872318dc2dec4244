import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CALLERS, startTestApi, type TestApi } from '../helpers/api.js';
import { Started } from '../helpers/started.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { agentTexts, openStream } from '../helpers/sse-client.js';
import { startTestTemporal, type TestTemporal } from '../helpers/temporal.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

// A stream that outlives the worker: the worker process is SIGKILLed while agent 2 of `slow`
// ("plodder", heartbeat_timeout 2s) streams, and a new worker process retries the agent.

const PLODDER_OUTPUT = Array.from({ length: 20 }, (_, i) => `w${i + 1}`).join(' ');

void describe('SSE when the worker dies in the middle of an agent', () => {
  const started = new Started();
  let temporal: TestTemporal;
  let engine: TestEngine;
  let api: TestApi;

  before(() =>
    started.setup(async () => {
      temporal = started.add('temporal', await startTestTemporal(), (t: TestTemporal) => t.stop());
      // No in-process worker: every task goes to the worker processes.
      engine = started.add('engine', await startEngine(temporal.address), (e: TestEngine) => e.stop());
      api = started.add('api', await startTestApi(engine), (a) => a.close(1_000));
    }),
  );
  after(() => started.stopAll());

  void it("announces the lost attempt with agent.retrying, and the retried attempt's output replaces it", async () => {
    const workerOptions = { address: temporal.address, taskQueue: engine.config.temporal.taskQueue };
    const first: WorkerProcess = started.add('first worker', await startWorkerProcess(workerOptions), (w) => w.stop());
    const stream = await openStream(`${api.url}/api/v1/chains/slow/stream`, { body: {}, headers: { authorization: `Bearer ${CALLERS.alice}` } });
    await stream.waitFor((e) => e.event === 'agent.output' && e.data.index === 1 && (e.data.offset as number) > 0, 30_000);
    await first.kill('SIGKILL');
    started.add('second worker', await startWorkerProcess(workerOptions), (w) => w.stop());
    await stream.done;

    const plodder = stream.events.filter((e) => e.data.index === 1);
    const retry = plodder.findIndex((e) => e.event === 'agent.retrying');
    assert.ok(retry > 0, `plodder's events: ${plodder.map((e) => e.event).join(', ')}`);
    assert.equal(plodder[retry]!.data.attempt, 2);
    assert.match(plodder[retry]!.data.error as string, /^activity Heartbeat timeout$/, 'the error says the attempt was lost');
    assert.ok(plodder.slice(0, retry).some((e) => e.event === 'agent.output'), 'attempt 1 had streamed output before it was lost');
    const after = plodder.slice(retry + 1);
    assert.equal(after[0]?.event, 'agent.output');
    assert.equal(after[0]?.data.offset, 0, "the retried attempt's output starts again at offset 0");
    assert.deepEqual(
      after.map((e) => e.event),
      [...after.filter((e) => e.event === 'agent.output').map(() => 'agent.output'), 'agent.completed'],
    );
    assert.equal(after.at(-1)!.data.attempts, 2);
    assert.equal(agentTexts(stream.events).get(1), PLODDER_OUTPUT, 'discarding the partial output on agent.retrying leaves exactly the final output');
    assert.equal(stream.events.at(-1)!.event, 'run.completed');
    assert.equal(stream.events.at(-1)!.data.output, `done after ${PLODDER_OUTPUT}`);
  });
});
