import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { PollCache } from '../../src/runs/poll-cache.js';
import { RunEnds } from '../../src/runs/run-ends.js';
import { start } from '../helpers/runs.js';
import { useStack } from '../helpers/stack.js';

describe('polls share reads of a run, and see its end at once when the worker shares the process', () => {
  const runEnds = new RunEnds();
  const stack = useStack({ api: false, runEnds });

  it('answers polls from one read while the run goes on, and from a fresh read once it has ended', async () => {
    const polls = new PollCache(stack.engine.client, { runEnds });
    const handle = await start(stack.engine, 'chain-3', { topic: 'polls' });
    let ended = false;
    const stopListening = runEnds.onEnd((runId) => void (runId === handle.workflowId && (ended = true)));
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
    const polls = new PollCache(stack.engine.client, { runEnds });
    const handle = await start(stack.engine, 'slow');
    const [a, b] = [polls.read(handle.workflowId, 'tester'), polls.read(handle.workflowId, 'tester')];
    assert.equal(a, b, 'one read, shared');
    assert.equal((await a).state.status, 'running');
    await handle.cancel();
  });

  it('reads a run only for its own caller', async () => {
    const polls = new PollCache(stack.engine.client, { runEnds });
    const handle = await start(stack.engine, 'slow');
    await assert.rejects(polls.read(handle.workflowId, 'someone-else'), { name: 'NotFoundError' });
    await handle.cancel();
  });
});
