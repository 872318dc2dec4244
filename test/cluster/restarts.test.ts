import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventually } from '../helpers/runs.js';
import { request, useCluster } from './helpers.js';

type Run = { status: string; output?: string; agents: Array<{ name: string; status: string }> };

async function startRuns(suite: ReturnType<typeof useCluster>, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await request(suite.cluster.apis[i % suite.cluster.apis.length]!, '/api/v1/chains/slow/runs', { body: { input: {} } });
    assert.equal(res.status, 202, await res.clone().text());
    ids.push(((await res.json()) as { run_id: string }).run_id);
  }
  return ids;
}

/** Every run completes with all three agents' work (polled on the second API), within `timeoutMs`. */
async function allComplete(suite: ReturnType<typeof useCluster>, ids: string[], timeoutMs: number): Promise<void> {
  const api = suite.cluster.apis.at(-1)!;
  for (const id of ids) {
    const run = await eventually(async () => {
      const res = await request(api, `/api/v1/runs/${id}`, { timeoutMs: 15_000 });
      if (res.status !== 200) return undefined;
      const body = (await res.json()) as Run;
      return body.status === 'running' ? undefined : body;
    }, timeoutMs, `run ${id} to end`);
    assert.equal(run.status, 'completed', `run ${id}: ${JSON.stringify(run)}`);
    assert.match(run.output ?? '', /^done after w1 .* w20$/);
    assert.deepEqual(run.agents.map((a) => a.status), ['completed', 'completed', 'completed']);
  }
}

/**
 * The production topology survives its stateful parts restarting mid-run: runs resume once the part is
 * back, the APIs answer 503 (not 500, not a hang) meanwhile, and no run or agent output is lost.
 */
describe('cluster: Temporal server and PostgreSQL restarts mid-run', () => {
  const suite = useCluster({ apis: 2, workers: 2, env: { CHAINPORT_TEMPORAL_CALL_TIMEOUT: '3s' } });

  it('resumes every run after the Temporal server restarts, answering 503 while it is down', async () => {
    const ids = await startRuns(suite, 4);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await suite.cluster.temporal.stop();
    const down = await request(suite.cluster.apis[0]!, `/api/v1/runs/${ids[0]}`);
    assert.equal(down.status, 503);
    assert.equal(((await down.json()) as { code: string }).code, 'unavailable');
    await suite.cluster.temporal.start();
    await allComplete(suite, ids, 120_000);
  });

  it('resumes every run after PostgreSQL restarts, answering 503 while it is down', async () => {
    const ids = await startRuns(suite, 4);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await suite.cluster.postgres.stop();
    try {
      // Starting a run needs a database write: with PostgreSQL gone it must fail fast and retryable.
      const res = await request(suite.cluster.apis[1]!, '/api/v1/chains/chain-3/runs', { body: { input: { topic: 'no database' } } });
      assert.equal(res.status, 503, await res.clone().text());
      assert.equal(((await res.json()) as { code: string }).code, 'unavailable');
      assert.ok(res.headers.get('retry-after'), 'a 503 says when to retry');
      // Down for longer than the plodder's 2 s heartbeat timeout: its attempt times out and is retried.
      await new Promise((resolve) => setTimeout(resolve, 5_000));
    } finally {
      await suite.cluster.postgres.start();
    }
    await allComplete(suite, ids, 180_000);
    const after = await request(suite.cluster.apis[1]!, '/api/v1/chains/chain-3', { body: { input: { topic: 'database back' } }, timeoutMs: 60_000 });
    assert.equal(after.status, 200, await after.clone().text());
  });
});
