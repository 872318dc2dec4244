import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startRun } from '../../src/runs/start.js';
import type { RerunBatch } from '../../src/workflows/types.js';
import { json } from '../helpers/api-suite.js';
import { eventually, finalState } from '../helpers/runs.js';
import { useStack } from '../helpers/stack.js';

// A bulk rerun starts runs on the caller's behalf, so it keeps to the caller's concurrent-run limit as
// the caller's own starts do: it starts reruns only into the room below the limit, and waits for room.

const LIMIT = 2;
const RUNS = 4;

describe("a bulk rerun keeps to the caller's concurrent-run limit", () => {
  const stack = useStack({ env: { CHAINPORT_MAX_CONCURRENT_RUNS: String(LIMIT) } });

  it(`re-runs ${RUNS} runs with never more than ${LIMIT} of the caller's runs in progress, and finishes them all`, async () => {
    // Cancelled while their second agent (about 4 s) runs: each rerun from there takes that long again.
    const slow = stack.engine.catalog.resolve('slow')!;
    const originals = await Promise.all(Array.from({ length: RUNS }, () => startRun(stack.engine.client, stack.engine.config, slow, { input: {}, callerId: 'alice' })));
    for (const handle of originals) {
      await eventually(async () => ((await handle.query<{ current_agent: string | null }>('progress')).current_agent === 'plodder' ? true : undefined));
      await handle.cancel();
      assert.equal((await finalState(stack.engine.client, handle.workflowId)).status, 'cancelled');
    }
    await eventually(async () => ((await stack.engine.client.workflow.count("ChainName = 'slow' AND RunStatus = 'cancelled'")).count === RUNS ? true : undefined), 30_000, 'every original listed');

    const body = { chain: `slow@${slow.version}`, status: 'cancelled', from: 'plodder' };
    const accepted = await json<{ poll_url: string }>(await stack.api.request('/api/v1/runs/rerun', { body, headers: { 'idempotency-key': 'limit' } }), 202);
    const batch = await eventually(async () => {
      const seen = await json<RerunBatch>(await stack.api.request(accepted.poll_url), 200);
      return seen.status === 'completed' ? seen : undefined;
    }, 90_000, 'the batch to start every rerun');
    assert.deepEqual([batch.total, batch.started, batch.failed], [RUNS, RUNS, 0]);

    // Temporal's own record of when each rerun started and closed: at no moment were more than LIMIT open.
    const reruns = batch.results.map((result) => result.run_id!);
    await Promise.all(reruns.map((runId) => finalState(stack.engine.client, runId)));
    const spans = await Promise.all(
      reruns.map(async (runId) => {
        const { startTime, closeTime } = await stack.engine.client.workflow.getHandle(runId).describe();
        return { from: startTime.getTime(), to: closeTime!.getTime() };
      }),
    );
    const inProgressAt = (moment: number) => spans.filter((span) => span.from <= moment && moment < span.to).length;
    const most = Math.max(...spans.map((span) => inProgressAt(span.from)));
    assert.ok(most <= LIMIT, `${most} reruns were in progress at once`);
    assert.ok(most >= 1);
  });
});
