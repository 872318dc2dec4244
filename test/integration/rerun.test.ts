import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { CALLERS } from '../helpers/api.js';
import { expectProblem, getRun, json, pollRun, startAsync, type Run, type RunAccepted, type RunList } from '../helpers/api-suite.js';
import { openStream } from '../helpers/sse-client.js';
import { useStack } from '../helpers/stack.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';
import { readRecordedRun } from '../../src/runs/recorded-outputs.js';

// Re-run from a step: a new run that takes the outputs of the agents before `from` from the original
// run's history instead of running (and paying for) them again. The original is only read.

const ended = (run: Run) => run.status !== 'running' && run.status !== 'waiting_for_input';

describe('re-run from a step (POST /api/v1/runs/{run_id}/rerun)', () => {
  // Webhook receivers listen on 127.0.0.1.
  const stack = useStack({ env: { CHAINPORT_WEBHOOK_ALLOW_PRIVATE: 'true' } });
  const topic = { topic: 'Chainport' };

  /** Starts rerun-me@1 (its editor fails) and waits for its end. */
  async function failedRun(): Promise<Run> {
    const { run_id: runId } = await startAsync(stack.api, 'rerun-me@1', { input: topic });
    const run = await pollRun(stack.api, runId, ended);
    assert.equal(run.status, 'failed');
    return run;
  }

  function rerun(runId: string, body: Record<string, unknown>, options: { key?: string; idempotencyKey?: string } = {}): Promise<Response> {
    return stack.api.request(`/api/v1/runs/${runId}/rerun`, {
      body,
      ...(options.key && { key: options.key }),
      ...(options.idempotencyKey && { headers: { 'idempotency-key': options.idempotencyKey } }),
    });
  }

  it('runs only the agents from `from` on, reusing the earlier outputs byte for byte, and leaves the original as it was', async () => {
    const original = await failedRun();
    const before = await historyOf(stack.engine.client, original.run_id);

    const accepted = await json<RunAccepted>(await rerun(original.run_id, { from: 'editor', chain: 'rerun-me@2' }), 202);
    assert.deepEqual(accepted.rerun_of, { run_id: original.run_id, from: 'editor' });
    assert.notEqual(accepted.run_id, original.run_id);
    assert.equal(accepted.chain_version, 2);
    const run = await pollRun(stack.api, accepted.run_id, ended);

    assert.equal(run.status, 'completed', JSON.stringify(run.error));
    assert.deepEqual(run.rerun_of, { run_id: original.run_id, from: 'editor' });
    assert.deepEqual(run.agents.map((a) => [a.name, a.status, a.cost, a.reused_cost]), [
      ['research', 'reused', 0, 0.01],
      ['draft', 'reused', 0, 0.02],
      ['editor', 'completed', 0.04, undefined],
    ]);
    assert.equal(run.cost, 0.04, 'only the agents that ran cost anything');
    assert.equal(run.reused_cost, 0.03);
    // The reused draft feeds the editor's template as it did in the original run.
    assert.equal(run.output, 'Edited: Draft on Chainport: ["Chainport is old","it is ünïcode ✓"]');

    const rerunHistory = await historyOf(stack.engine.client, run.run_id);
    assert.equal(rerunHistory.agentActivities, 1, 'n − N + 1 = 3 − 3 + 1 agent activities');
    const after = await historyOf(stack.engine.client, original.run_id);
    assert.deepEqual(after, before, "the original run's history is unchanged");
    const originalRun = await getRun(stack.api, original.run_id);
    assert.equal(originalRun.status, 'failed');
    assert.equal(originalRun.rerun_of, undefined);
  });

  it('reuses a JSON output exactly and runs n − N + 1 agents from a middle agent; the original input applies unless replaced', async () => {
    const original = await failedRun();
    const run = await pollRun(stack.api, (await json<RunAccepted>(await rerun(original.run_id, { from_index: 1, chain: 'rerun-me@2' }), 202)).run_id, ended);
    assert.equal(run.status, 'completed');
    assert.deepEqual(run.agents.map((a) => a.status), ['reused', 'completed', 'completed']);
    assert.equal((await historyOf(stack.engine.client, run.run_id)).agentActivities, 2);
    const originalOutputs = (await readRecordedRun(stack.engine.client, original.run_id)).outputs;
    const rerunOutputs = (await readRecordedRun(stack.engine.client, run.run_id)).outputs;
    assert.equal(JSON.stringify(rerunOutputs.get(0)), JSON.stringify(originalOutputs.get(0)), 'the reused output, byte for byte');
    assert.equal(rerunOutputs.get(1), originalOutputs.get(1), 'the draft, rendered from the reused research, is what the original drafted');

    const replaced = await pollRun(stack.api, (await json<RunAccepted>(await rerun(original.run_id, { from: 'draft', chain: 'rerun-me@2', input: { topic: 'Temporal' } }), 202)).run_id, ended);
    assert.equal(replaced.output, 'Edited: Draft on Temporal: ["Chainport is old","it is ünïcode ✓"]', 'the new input reaches the agents that run again; reused outputs stay');
  });

  it('re-runs a rerun: agents it reused are reused again, at their first cost', async () => {
    const original = await failedRun();
    const first = await pollRun(stack.api, (await json<RunAccepted>(await rerun(original.run_id, { from: 'editor', chain: 'rerun-me@2' }), 202)).run_id, ended);
    const second = await pollRun(stack.api, (await json<RunAccepted>(await rerun(first.run_id, { from: 'editor' }), 202)).run_id, ended);
    assert.equal(second.status, 'completed');
    assert.equal(second.output, first.output);
    assert.deepEqual(second.agents.map((a) => [a.status, a.reused_cost]), [['reused', 0.01], ['reused', 0.02], ['completed', undefined]]);
    const list = await json<RunList>(await stack.api.request(`/api/v1/runs?rerun_of=${original.run_id}`), 200);
    assert.deepEqual(list.data.map((r) => [r.run_id, r.rerun_of?.from]), [[first.run_id, 'editor']]);
  });

  it('refuses another version whose agents up to `from` differ, an unknown agent, and an agent before `from` that did not finish', async () => {
    const original = await failedRun();
    const reshaped = await expectProblem(await rerun(original.run_id, { from: 'editor', chain: 'rerun-me@3' }), 422, 'validation_failed');
    assert.match(reshaped.detail, /Agent 1 of rerun-me@3 is "outline" \(simulated\) where the original run had "draft"/);
    assert.deepEqual(reshaped.errors?.map((e) => e.path), ['chain']);
    // Up to `from` only: v3 still matches v1 at the first agent.
    await json<RunAccepted>(await rerun(original.run_id, { from: 'research', chain: 'rerun-me@3' }), 202);
    await expectProblem(await rerun(original.run_id, { from: 'nobody' }), 422, 'validation_failed');
    await expectProblem(await rerun(original.run_id, { from: 'editor', from_index: 2 }), 422, 'validation_failed');
    const { run_id: failing } = await startAsync(stack.api, 'failing', {});
    await pollRun(stack.api, failing, ended);
    const unfinished = await expectProblem(await rerun(failing, { from: 'never' }), 422, 'validation_failed');
    assert.match(unfinished.detail, /Agent "broken" did not finish/);
  });

  it('refuses a run that has not ended (409) and keeps runs to their caller (404)', async () => {
    const { run_id: slow } = await startAsync(stack.api, 'slow', {});
    await expectProblem(await rerun(slow, { from_index: 0 }), 409, 'run_not_ended');
    await stack.api.request(`/api/v1/runs/${slow}/cancel`, { method: 'POST' });
    const original = await failedRun();
    await expectProblem(await rerun(original.run_id, { from: 'editor' }, { key: CALLERS.bob }), 404, 'not_found');
    await expectProblem(await rerun('run-00000000000000000000', { from: 'editor' }), 404, 'not_found');
  });

  it('is idempotent with an Idempotency-Key, and a key reused with another body is a conflict', async () => {
    const original = await failedRun();
    const body = { from: 'editor', chain: 'rerun-me@2' };
    const responses = await Promise.all([1, 2, 3].map(() => rerun(original.run_id, body, { idempotencyKey: 'rerun-once' })));
    const ids = new Set(await Promise.all(responses.map(async (res) => (await json<RunAccepted>(res, 202)).run_id)));
    assert.equal(ids.size, 1, 'one rerun for one key');
    const list = await json<RunList>(await stack.api.request(`/api/v1/runs?rerun_of=${original.run_id}`), 200);
    assert.equal(list.data.length, 1);
    await expectProblem(await rerun(original.run_id, { from: 'draft', chain: 'rerun-me@2' }, { idempotencyKey: 'rerun-once' }), 422, 'idempotency_conflict');
  });

  it("tells the rerun's webhook which run it re-runs", async () => {
    const receiver = await startWebhookReceiver();
    try {
      const original = await failedRun();
      const accepted = await json<RunAccepted>(await rerun(original.run_id, { from: 'editor', chain: 'rerun-me@2', webhook: { url: `${receiver.url}/done` } }), 202);
      const [delivery] = await receiver.waitFor(1);
      assert.equal(delivery!.json.run_id, accepted.run_id);
      assert.equal(delivery!.json.event, 'chain.completed');
      assert.deepEqual(delivery!.json.rerun_of, { run_id: original.run_id, from: 'editor' });
    } finally {
      await receiver.close();
    }
  });

  it('streams the new run on POST /runs/{run_id}/rerun/stream: only the agents that run again', async () => {
    const original = await failedRun();
    const stream = await openStream(`${stack.api.url}/api/v1/runs/${original.run_id}/rerun/stream`, {
      method: 'POST',
      body: { from: 'editor', chain: 'rerun-me@2' },
      headers: { authorization: `Bearer ${CALLERS.alice}`, 'content-type': 'application/json' },
    });
    await stream.done;
    const names = stream.events.map((e) => `${e.event}:${String(e.data.agent ?? '')}`);
    assert.equal(names[0], 'run.started:');
    assert.deepEqual(stream.events[0]!.data.rerun_of, { run_id: original.run_id, from: 'editor' });
    assert.deepEqual(stream.events[0]!.data.reused, [
      { agent: 'research', index: 0, reused_cost: 0.01 },
      { agent: 'draft', index: 1, reused_cost: 0.02 },
    ], 'the first event names the agents the stream will not show running');
    assert.ok(names.includes('agent.completed:editor'), names.join(' '));
    assert.ok(!names.some((n) => n.endsWith(':research') || n.endsWith(':draft')), 'reused agents are not streamed as running');
    assert.equal(names.at(-1), 'run.completed:');
    assert.equal(stream.events.at(-1)!.data.output, 'Edited: Draft on Chainport: ["Chainport is old","it is ünïcode ✓"]');
  });
});

/** What must not change in a run's history when it is re-run: its length, its last event, and how many agent activities it ran. */
async function historyOf(client: Client, runId: string) {
  const events = (await client.workflow.getHandle(runId).fetchHistory()).events ?? [];
  const last = events.at(-1)!;
  return {
    events: events.length,
    lastEventId: String(last.eventId),
    lastEventType: String(last.eventType),
    agentActivities: events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'runAgent').length,
  };
}
