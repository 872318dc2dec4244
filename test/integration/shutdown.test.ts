import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { CALLERS, startTestApi } from '../helpers/api.js';
import { TEST_SECRET_KEY } from '../helpers/engine.js';
import { eventually, finalState, progress, start } from '../helpers/runs.js';
import { openStream } from '../helpers/sse-client.js';
import { startWorkerProcess } from '../helpers/worker-process.js';
import { useStack } from '../helpers/stack.js';

describe('graceful shutdown', () => {
  const stack = useStack({ api: false });

  it('stops accepting, tells open streams to reconnect, and lets in-flight requests finish within the deadline', async () => {
    const api = await startTestApi(stack.engine);
    const started = await api.request('/api/v1/chains/slow/runs', { body: { input: {} } });
    const { run_id: runId } = (await started.json()) as { run_id: string };
    const stream = await openStream(`${api.url}/api/v1/runs/${runId}/events`, { headers: { authorization: `Bearer ${CALLERS.alice}` } });
    await stream.waitFor((e) => e.event === 'run.started');
    const inFlight = api.request('/api/v1/chains/chain-3', { body: { input: { topic: 'draining' }, timeout_s: 20 } });
    await new Promise((r) => setTimeout(r, 50));

    const closing = api.close(10_000);
    await stream.done;
    assert.match(stream.comments.at(-1)?.text ?? '', /reconnect with Last-Event-ID/, 'the last line tells the client to reconnect');
    assert.ok(!stream.events.some((e) => e.event === 'run.completed'), 'the stream ended before the run did');
    await assert.rejects(fetch(`${api.url}/healthz`), 'no new connections once shutdown began');
    const drained = await inFlight;
    assert.equal(drained.status, 200, 'the in-flight sync request finished');
    await closing;

    // The run was never tied to the API process: a new instance streams it to the end from where the client was.
    const next = await startTestApi(stack.engine);
    try {
      const resumed = await openStream(`${next.url}/api/v1/runs/${runId}/events`, {
        headers: { authorization: `Bearer ${CALLERS.alice}` },
        lastEventId: stream.lastEventId,
      });
      await resumed.done;
      assert.equal(resumed.events.at(-1)?.event, 'run.completed');
      const ids = [...stream.events, ...resumed.events].map((e) => e.id);
      assert.equal(new Set(ids).size, ids.length, 'nothing sent twice across the reconnect');
    } finally {
      await next.close();
    }
  });

  it('hands a stopping worker’s in-flight agent back so another worker completes the run', async () => {
    const taskQueue = `shutdown-${randomUUID()}`;
    const scoped = { ...stack.engine, config: { ...stack.engine.config, temporal: { ...stack.engine.config.temporal, taskQueue } } };
    const env = { CHAINPORT_SECRET_KEY: TEST_SECRET_KEY, CHAINPORT_SHUTDOWN_GRACE: '500ms' };
    const first = await startWorkerProcess({ address: stack.temporal.address, taskQueue, env });
    let second: Awaited<ReturnType<typeof startWorkerProcess>> | undefined;
    try {
      const handle = await start(scoped, 'slow');
      await eventually(async () => ((await progress(stack.engine.client, handle.workflowId)).current_agent === 'plodder' ? true : undefined));
      await first.stop(); // SIGTERM: drains within its grace, then hands back what is left
      second = await startWorkerProcess({ address: stack.temporal.address, taskQueue, env });
      const state = await finalState(stack.engine.client, handle.workflowId);
      assert.equal(state.status, 'completed');
      assert.match(String(state.output), /^done after w1 .* w20$/);
    } finally {
      await first.stop();
      await second?.stop();
    }
  });
});
