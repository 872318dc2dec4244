import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { Client } from '@temporalio/client';
import { PollCache } from '../../src/runs/poll-cache.js';
import { LocalRuns } from '../../src/runs/local-runs.js';
import { eventually, progress, start } from '../helpers/runs.js';
import { useStack } from '../helpers/stack.js';

describe('polls share reads of a run, and see its progress and end at once when the worker shares the process', () => {
  const localRuns = new LocalRuns();
  const stack = useStack({ api: false, localRuns });

  /** A client of the test server that counts the queries made through it. */
  function queryCountingClient(): { client: Client; queries: () => number } {
    let queries = 0;
    const client = new Client({
      connection: stack.engine.client.connection,
      namespace: stack.engine.config.temporal.namespace,
      interceptors: { workflow: [{ query: (input, next) => ((queries += 1), next(input)) }] },
    });
    return { client, queries: () => queries };
  }

  it('answers polls from one read while the run goes on, and from a fresh read once it has ended', async () => {
    const polls = new PollCache(stack.engine.client, { localRuns });
    const handle = await start(stack.engine, 'chain-3', { topic: 'polls' });
    let ended = false;
    const stopListening = localRuns.onEnd((runId) => void (runId === handle.workflowId && (ended = true)));
    try {
      // Poll like a tight client loop until the worker announces the end: the last shared read says running.
      let last = await polls.read(handle.workflowId, 'tester');
      while (!ended) {
        last = await polls.read(handle.workflowId, 'tester');
        await sleep(20);
      }
      assert.ok(['running', 'completed'].includes(last.state.status));
      await handle.result();
      // Within the 500 ms a read is shared for, the end was heard: the next poll reads again.
      const after = await polls.read(handle.workflowId, 'tester');
      assert.equal(after.state.status, 'completed');
      assert.equal(after.state.agents_completed, 3);
    } finally {
      stopListening();
    }
  });

  it('shares one read among polls that arrive together', async () => {
    const polls = new PollCache(stack.engine.client, { localRuns });
    const handle = await start(stack.engine, 'slow');
    const [a, b] = [polls.read(handle.workflowId, 'tester'), polls.read(handle.workflowId, 'tester')];
    assert.equal(a, b, 'one read, shared');
    assert.equal((await a).state.status, 'running');
    await handle.cancel();
  });

  it('reads a run only for its own caller', async () => {
    const polls = new PollCache(stack.engine.client, { localRuns });
    const handle = await start(stack.engine, 'slow');
    await assert.rejects(polls.read(handle.workflowId, 'someone-else'), { name: 'NotFoundError' });
    await handle.cancel();
  });

  it('answers polls of a run its own worker executes from what the worker published, without a progress query', async () => {
    const { client: counting, queries } = queryCountingClient();
    const handle = await start(stack.engine, 'slow');
    try {
      // The worker publishes the state before each wait: here, the first agent done and the second running.
      const local = new PollCache(counting, { localRuns });
      await eventually(async () => (await local.read(handle.workflowId, 'tester', { fresh: true })).state.current_agent === 'plodder' || undefined);
      const before = queries();
      for (const pause of [0, 0, 1_200]) {
        // The last read comes after the publication settled: the history has not grown since (the agent runs on), so it still holds.
        await sleep(pause);
        const { state } = await local.read(handle.workflowId, 'tester', { fresh: true });
        assert.equal(state.current_agent, 'plodder');
        assert.equal(state.agents_completed, 1);
        assert.equal(state.agents[1]!.status, 'running');
      }
      assert.equal(queries(), before, 'no progress query');

      // The same run read by a process that hears nothing from the worker asks the workflow.
      const remote = new PollCache(counting);
      const { state } = await remote.read(handle.workflowId, 'tester');
      assert.equal(state.current_agent, 'plodder');
      assert.equal(queries(), before + 1);
    } finally {
      await handle.cancel();
    }
  });

  it('answers a run no worker has picked up yet with its initial state at once, without a query', async () => {
    const { client: counting, queries } = queryCountingClient();
    // A task queue no worker polls: the run's first workflow task never starts.
    const engine = { ...stack.engine, config: { ...stack.engine.config, temporal: { ...stack.engine.config.temporal, taskQueue: 'no-worker-polls-this' } } };
    const handle = await start(engine, 'chain-3');
    try {
      const startedAt = Date.now();
      const { state } = await new PollCache(counting).read(handle.workflowId, 'tester');
      assert.ok(Date.now() - startedAt < 2_000, 'answered without waiting out the query deadline');
      assert.equal(state.status, 'running');
      assert.equal(state.agents_completed, 0);
      assert.deepEqual(state.agents.map((agent) => agent.status), ['pending', 'pending', 'pending']);
      assert.equal(queries(), 0);
    } finally {
      await handle.terminate('test over');
    }
  });

  it('stops trusting a published state once the history of the run moved on without a new one (another worker took the run over)', async () => {
    const { client: counting, queries } = queryCountingClient();
    const handle = await start(stack.engine, 'slow');
    try {
      // A LocalRuns no worker feeds, told the run is at its first agent: what this process would keep of
      // a run another worker went on with.
      const elsewhere = new LocalRuns();
      const polls = new PollCache(counting, { localRuns: elsewhere });
      const { state: read } = await polls.read(handle.workflowId, 'tester');
      elsewhere.progressed({ ...read, current_agent: 'quick', agents_completed: 0 });
      await eventually(async () => ((await progress(stack.engine.client, handle.workflowId)).current_agent === 'plodder' ? true : undefined));
      await sleep(1_200);
      const { state } = await polls.read(handle.workflowId, 'tester', { fresh: true });
      assert.equal(state.current_agent, 'plodder', 'the workflow was asked');
      assert.ok(queries() >= 1);
    } finally {
      await handle.cancel();
    }
  });
});
