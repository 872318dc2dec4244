import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { TEST_SECRET_KEY, startEngine, type TestEngine } from '../helpers/engine.js';
import { eventually } from '../helpers/runs.js';
import { agentTexts, openStream } from '../helpers/sse-client.js';
import { startTestTemporal, type TestTemporal } from '../helpers/temporal.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

/**
 * The service is stateless: two API instances (each with its own Temporal connection) and two worker
 * processes against one Temporal server behave as one — start on one instance, poll and stream on the
 * other, and lose a worker mid-run.
 */
describe('scale-out: two API instances and two workers on one Temporal server', () => {
  let temporal: TestTemporal;
  const engines: TestEngine[] = [];
  const apis: TestApi[] = [];
  const workers: WorkerProcess[] = [];
  const taskQueue = `scale-${randomUUID()}`;

  before(async () => {
    temporal = await startTestTemporal();
    try {
      for (let i = 0; i < 2; i++) {
        const engine = await startEngine(temporal.address, { TEMPORAL_TASK_QUEUE: taskQueue });
        engines.push(engine);
        apis.push(await startTestApi(engine));
      }
      for (let i = 0; i < 2; i++) {
        workers.push(await startWorkerProcess({ address: temporal.address, taskQueue, env: { CHAINPORT_SECRET_KEY: TEST_SECRET_KEY } }));
      }
    } catch (err) {
      await Promise.all(workers.map((w) => w.stop()));
      await Promise.all(apis.map((a) => a.close()));
      await Promise.all(engines.map((e) => e.stop()));
      await temporal.stop();
      throw err;
    }
  });
  after(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await Promise.all(apis.map((a) => a.close()));
    await Promise.all(engines.map((e) => e.stop()));
    await temporal?.stop();
  });

  it('starts on one instance, polls and streams on the other, and survives losing the worker running the agent', async () => {
    const [a, b] = apis as [TestApi, TestApi];
    const res = await a.request('/api/v1/chains/slow/runs', { body: { input: {} } });
    assert.equal(res.status, 202);
    const { run_id: runId } = (await res.json()) as { run_id: string };

    const stream = await openStream(`${b.url}/api/v1/runs/${runId}/events`, { headers: { authorization: `Bearer ${'alice-key-0123456789abcdef'}` } });
    await stream.waitFor((e) => e.event === 'agent.output' && e.data.index === 1, 20_000);
    const polled = (await (await b.request(`/api/v1/runs/${runId}`)).json()) as { status: string; progress: { current_agent: string } };
    assert.equal(polled.status, 'running');
    assert.equal(polled.progress.current_agent, 'plodder');

    // Kill the very worker that runs the agent: its identity is "<pid>@<host>".
    const description = await engines[0]!.client.workflow.getHandle(runId).describe();
    const identity = description.raw.pendingActivities?.[0]?.lastWorkerIdentity ?? '';
    const victim = workers.find((w) => identity.startsWith(`${w.pid}@`));
    assert.ok(victim, `one of our workers (${workers.map((w) => w.pid).join(', ')}) runs the agent (identity ${identity})`);
    await victim.kill('SIGKILL');

    await stream.done;
    const last = stream.events.at(-1)!;
    assert.equal(last.event, 'run.completed');
    const final = await eventually(async () => {
      const run = (await (await a.request(`/api/v1/runs/${runId}`)).json()) as { status: string; output: string; agents: Array<{ name: string; attempts: number }> };
      return run.status === 'completed' ? run : undefined;
    }, 30_000, 'the run to complete');
    assert.equal(final.output, (last.data as { output: string }).output);
    assert.ok(final.agents[1]!.attempts >= 2, 'the lost attempt was retried on the other worker');
    const texts = agentTexts(stream.events);
    assert.equal(texts.get(2), final.output, "the stream re-assembles the last agent's output exactly");
  });

  it('attaches the same Idempotency-Key to the same run whichever instance gets the request', async () => {
    const [a, b] = apis as [TestApi, TestApi];
    const key = `scale-${randomUUID()}`;
    const headers = { 'idempotency-key': key };
    const [fromA, fromB] = await Promise.all([
      a.request('/api/v1/chains/chain-3/runs', { body: { input: { topic: 'twice' } }, headers }),
      b.request('/api/v1/chains/chain-3/runs', { body: { input: { topic: 'twice' } }, headers }),
    ]);
    const runA = ((await fromA.json()) as { run_id: string }).run_id;
    const runB = ((await fromB.json()) as { run_id: string }).run_id;
    assert.equal(runA, runB);
  });
});
