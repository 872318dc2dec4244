import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CALLERS } from '../helpers/api.js';
import { startAsync } from '../helpers/api-suite.js';
import { finalState, start } from '../helpers/runs.js';
import { assertExactOutput, openStream } from '../helpers/sse-client.js';
import { useStack } from '../helpers/stack.js';

// `execution: local`: agents run as Temporal local activities, inside the workflow task that reaches
// them, so a run of short agents costs one workflow task instead of a dispatch and three events per agent.

describe('local agents (execution: local)', () => {
  const stack = useStack();
  const auth = { authorization: `Bearer ${CALLERS.alice}` };

  it('runs a chain of local agents in one workflow task, with the output and costs of the same chain as activities', async () => {
    const local = await start(stack.engine, 'chain-3-local', { topic: 'local' });
    const remote = await start(stack.engine, 'chain-3', { topic: 'local' });
    const localState = await finalState(stack.engine.client, local.workflowId);
    const remoteState = await finalState(stack.engine.client, remote.workflowId);
    assert.equal(localState.status, 'completed');
    assert.equal(localState.output, remoteState.output);
    assert.equal(localState.cost, remoteState.cost);
    assert.deepEqual(localState.agents.map((a) => [a.name, a.status, a.attempts, a.cost]), remoteState.agents.map((a) => [a.name, a.status, a.attempts, a.cost]));
    const events = (await local.fetchHistory()).events ?? [];
    assert.equal(events.filter((e) => e.markerRecordedEventAttributes).length, 3, 'one marker per agent');
    assert.equal(events.filter((e) => e.activityTaskScheduledEventAttributes).length, 0, 'no activity tasks');
    assert.equal(events.filter((e) => e.workflowTaskCompletedEventAttributes).length, 1, 'one workflow task for the whole run');
    const remoteEvents = (await remote.fetchHistory()).events ?? [];
    assert.ok(events.length < remoteEvents.length / 2, `${events.length} history events against ${remoteEvents.length}`);
  });

  it('retries a failing local agent by its policy, and mixes local agents with activities', async () => {
    const state = await finalState(stack.engine.client, (await start(stack.engine, 'local-mixed')).workflowId);
    assert.equal(state.status, 'completed', state.error?.message);
    assert.equal(state.output, 'after w1 w2 w3 w4 w5 w6 w7 w8 w9 w10');
    assert.deepEqual(state.agents.map((a) => [a.name, a.attempts]), [['wobbly', 3], ['plodder', 1], ['remote', 1]]);
  });

  it('streams each local agent whole at its completion: started, its output, completed; resumable from any id', async () => {
    const { run_id: runId } = await startAsync(stack.api, 'local-mixed', { input: {} });
    const live = await openStream(`${stack.api.url}/api/v1/runs/${runId}/events`, { headers: auth });
    await live.done;
    const names = live.events.map((e) => `${e.event}:${String(e.data.agent ?? '')}`);
    assert.deepEqual(names.slice(0, 7), ['run.started:', 'agent.started:wobbly', 'agent.output:wobbly', 'agent.completed:wobbly', 'agent.started:plodder', 'agent.output:plodder', 'agent.completed:plodder']);
    assert.equal(names.at(-1), 'run.completed:');
    assertExactOutput(live.events, 1, 'w1 w2 w3 w4 w5 w6 w7 w8 w9 w10');
    const wobbly = live.events.find((e) => e.event === 'agent.completed' && e.data.agent === 'wobbly')!;
    assert.deepEqual([wobbly.data.attempts, wobbly.data.cost], [3, 0.01]);
    const ids = live.events.map((e) => e.id!);
    assert.equal(new Set(ids).size, ids.length, 'every id is distinct');
    const from = live.events.findIndex((e) => e.event === 'agent.started' && e.data.agent === 'plodder');
    const replay = await openStream(`${stack.api.url}/api/v1/runs/${runId}/events`, { headers: auth, lastEventId: ids[from] });
    await replay.done;
    assert.deepEqual(replay.events.map((e) => e.id), ids.slice(from + 1));
  });
});
