import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventually, finalState, progress, start } from '../helpers/runs.js';
import { useStack } from '../helpers/stack.js';

describe('chain workflow on a real Temporal server', () => {
  const stack = useStack({ api: false });

  it('runs the agents in order, each feeding the next, and completes with the last output', async () => {
    const handle = await start(stack.engine, 'chain-3', { topic: 'otters' });
    const state = await finalState(stack.engine.client, handle.workflowId);
    assert.equal(state.status, 'completed');
    assert.match(String(state.output), /^third saw: second saw: one two .* otters$/);
    assert.deepEqual(state.agents.map((a) => [a.name, a.status, a.attempts]), [
      ['first', 'completed', 1],
      ['second', 'completed', 1],
      ['third', 'completed', 1],
    ]);
    assert.equal(state.cost, 0.06);
    assert.equal(state.agents_completed, 3);
    assert.ok(state.duration_ms !== null && state.duration_ms >= 0);
    assert.ok(state.ended_at);
  });

  it('tags runs with ChainName, ChainVersion and CallerId search attributes and a memo', async () => {
    const handle = await start(stack.engine, 'chain-3', { topic: 'tags' });
    await handle.result();
    const description = await handle.describe();
    const attrs = description.searchAttributes;
    assert.deepEqual(attrs.ChainName, ['chain-3']);
    assert.deepEqual(attrs.ChainVersion, [1]);
    assert.deepEqual(attrs.CallerId, ['tester']);
    assert.equal(description.memo?.caller_id, 'tester');
    assert.equal(description.memo?.input_bytes, JSON.stringify({ topic: 'tags' }).length);
  });

  it('answers the progress query while running, with the current agent', async () => {
    const handle = await start(stack.engine, 'slow');
    const live = await eventually(async () => {
      const state = await progress(stack.engine.client, handle.workflowId);
      return state.current_agent === 'plodder' ? state : undefined;
    });
    assert.equal(live.status, 'running');
    assert.equal(live.agents_completed, 1);
    assert.equal(live.agents_total, 3);
    assert.deepEqual(live.agents.map((a) => a.status), ['completed', 'running', 'pending']);
    await handle.cancel();
  });

  it('fails the run with the agent name when an agent fails for good, skipping the rest', async () => {
    const handle = await start(stack.engine, 'failing');
    const state = await finalState(stack.engine.client, handle.workflowId);
    assert.equal(state.status, 'failed');
    assert.equal(state.error?.code, 'agent_failed');
    assert.equal(state.error?.agent, 'broken');
    assert.match(state.error?.message ?? '', /the model refused/);
    assert.deepEqual(state.agents.map((a) => a.status), ['completed', 'failed', 'skipped']);
    assert.equal(state.agents[1]?.attempts, 1, 'a non-retryable failure is not retried');
    assert.equal((await handle.describe()).status.name, 'FAILED', 'ops see the run as failed in the Temporal UI');
  });

  it('cancels the running agent and ends the run cancelled', async () => {
    const handle = await start(stack.engine, 'slow');
    await eventually(async () => ((await progress(stack.engine.client, handle.workflowId)).current_agent === 'plodder' ? true : undefined));
    await handle.cancel();
    const state = await finalState(stack.engine.client, handle.workflowId);
    assert.equal(state.status, 'cancelled');
    assert.equal(state.error?.code, 'cancelled');
    assert.deepEqual(state.agents.map((a) => a.status), ['completed', 'cancelled', 'skipped']);
    assert.equal((await handle.describe()).status.name, 'CANCELLED');
  });

  it('stops before the next agent once spent cost passes the chain budget', async () => {
    const handle = await start(stack.engine, 'budget');
    const state = await finalState(stack.engine.client, handle.workflowId);
    assert.equal(state.status, 'failed');
    assert.equal(state.error?.code, 'budget_exceeded');
    assert.deepEqual(state.agents.map((a) => a.status), ['completed', 'skipped']);
    assert.equal(state.cost, 0.06);
  });

  it('applies a max_cost from the start request when it is lower than the chain budget', async () => {
    const handle = await start(stack.engine, 'chain-3', { topic: 'x' }, { maxCost: 0.005 });
    const state = await finalState(stack.engine.client, handle.workflowId);
    assert.equal(state.error?.code, 'budget_exceeded');
    assert.deepEqual(state.agents.map((a) => a.status), ['completed', 'skipped', 'skipped']);
  });

  it('passes JSON outputs through templates and pins name@version', async () => {
    const v2 = await start(stack.engine, 'json-output', { name: 'Ada' });
    const state = await finalState(stack.engine.client, v2.workflowId);
    assert.equal(state.chain_version, 2);
    assert.deepEqual(state.output, { name: 'Ada', tags: ['a', 'b'], score: 7 });
    const v1 = await start(stack.engine, 'json-output@1');
    assert.equal((await finalState(stack.engine.client, v1.workflowId)).output, 'version one');
  });
});
