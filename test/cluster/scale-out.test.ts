import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { eventually } from '../helpers/runs.js';
import { agentTexts, openStream } from '../helpers/sse-client.js';
import { AUTH, request, useCluster } from './helpers.js';

/**
 * The scale-out behaviour on the production topology: two API processes and two worker processes on a
 * Temporal server backed by PostgreSQL — start on one API, poll and stream on the other, lose the
 * worker that runs the agent.
 */
describe('cluster: scale-out on PostgreSQL-backed Temporal', () => {
  const suite = useCluster({ apis: 2, workers: 2 });

  it('starts on one API, polls and streams on the other, and survives losing the worker running the agent', async () => {
    const [a, b] = suite.cluster.apis as [NonNullable<(typeof suite.cluster.apis)[0]>, NonNullable<(typeof suite.cluster.apis)[1]>];
    const res = await request(a, '/api/v1/chains/slow/runs', { body: { input: {} } });
    assert.equal(res.status, 202);
    const { run_id: runId } = (await res.json()) as { run_id: string };

    const stream = await openStream(`${b.url}/api/v1/runs/${runId}/events`, { headers: AUTH });
    await stream.waitFor((e) => e.event === 'agent.output' && e.data.index === 1, 30_000);
    const polled = (await (await request(b, `/api/v1/runs/${runId}`)).json()) as { status: string; progress: { current_agent: string } };
    assert.equal(polled.status, 'running');
    assert.equal(polled.progress.current_agent, 'plodder');

    // The worker identity is "<pid>@<host>": kill exactly the process that runs the agent.
    const description = await suite.client.workflow.getHandle(runId).describe();
    const identity = description.raw.pendingActivities?.[0]?.lastWorkerIdentity ?? '';
    const victim = suite.cluster.workers.find((w) => identity.startsWith(`${w.pid}@`));
    assert.ok(victim, `one of the cluster's workers (${suite.cluster.workers.map((w) => w.pid).join(', ')}) runs the agent (identity ${identity})`);
    await victim.kill('SIGKILL');

    await stream.done;
    const last = stream.events.at(-1)!;
    assert.equal(last.event, 'run.completed');
    const final = await eventually(async () => {
      const run = (await (await request(a, `/api/v1/runs/${runId}`)).json()) as { status: string; output: string; agents: Array<{ attempts: number }> };
      return run.status === 'completed' ? run : undefined;
    }, 30_000, 'the run to complete');
    assert.equal(final.output, (last.data as { output: string }).output);
    assert.ok(final.agents[1]!.attempts >= 2, 'the lost attempt was retried on the other worker');
    assert.equal(agentTexts(stream.events).get(2), final.output, "the stream re-assembles the last agent's output exactly");
  });

  it('attaches the same Idempotency-Key to the same run whichever API gets the request', async () => {
    const [a, b] = suite.cluster.apis;
    const headers = { 'idempotency-key': `cluster-${randomUUID()}` };
    const [fromA, fromB] = await Promise.all([
      request(a!, '/api/v1/chains/chain-3/runs', { body: { input: { topic: 'twice' } }, headers }),
      request(b!, '/api/v1/chains/chain-3/runs', { body: { input: { topic: 'twice' } }, headers }),
    ]);
    assert.equal(((await fromA.json()) as { run_id: string }).run_id, ((await fromB.json()) as { run_id: string }).run_id);
  });

  it('lists runs from PostgreSQL visibility on either API', async () => {
    const [a, b] = suite.cluster.apis;
    const res = await request(a!, '/api/v1/chains/chain-3', { body: { input: { topic: 'visible' } } });
    assert.equal(res.status, 200);
    const { run_id: runId } = (await res.json()) as { run_id: string };
    await eventually(async () => {
      const list = (await (await request(b!, '/api/v1/runs?chain=chain-3&status=completed&limit=50')).json()) as { data: Array<{ run_id: string }> };
      return list.data.some((run) => run.run_id === runId) ? true : undefined;
    }, 30_000, 'the completed run in the list');
  });
});
