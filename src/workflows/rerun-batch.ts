import { proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { batchProgressQuery } from './definitions.js';
import { failureMessage } from './failure-details.js';
import type { RerunBatch, RerunBatchRequest, RerunResult } from './types.js';

const { listRerunCandidates } = proxyActivities<Activities>({ startToCloseTimeout: '2m', retry: { maximumAttempts: 5, initialInterval: '1s' } });
const { startBatchRerun, countCallerRuns } = proxyActivities<Activities>({ startToCloseTimeout: '30s', retry: { maximumAttempts: 5, initialInterval: '1s' } });

/**
 * How long a batch at its caller's limit waits before it looks again: doubling from the first to the
 * last. Each look is ~11 history events; at 5 min a day of waiting adds ~3,200, far from the
 * 50,000-event limit of a workflow's history.
 */
const ROOM_WAIT_MS = { first: 2_000, last: 300_000 };

/**
 * Re-runs every ended run a filter selects, from one agent on: lists them once (the list is in
 * history, so a restart re-runs exactly that list), then starts their reruns at most `ratePerSecond`
 * a second and only into the room below the caller's concurrent-run limit. Each rerun's id derives
 * from the batch and the original, so a start retried after a crash finds the rerun it already made;
 * one run that cannot be re-run is reported and the others go on.
 */
export async function rerunBatchWorkflow(request: RerunBatchRequest): Promise<RerunBatch> {
  const { batchId, callerId, filter, from, target, ratePerSecond, maxConcurrentRuns } = request;
  const batch: RerunBatch = {
    batch_id: batchId,
    status: 'running',
    filter,
    from,
    chain: `${target.name}@${target.version}`,
    total: null,
    started: 0,
    failed: 0,
    results: [],
    created_at: new Date().toISOString(),
    completed_at: null,
  };
  setHandler(batchProgressQuery, () => batch);
  const originals = await listRerunCandidates({ callerId, filter });
  batch.total = originals.length;
  for (let next = 0; next < originals.length; ) {
    const began = Date.now();
    const size = maxConcurrentRuns === undefined ? ratePerSecond : await roomBelowLimit(callerId, maxConcurrentRuns, ratePerSecond);
    const chunk = originals.slice(next, next + size);
    next += size;
    const results = await Promise.all(
      chunk.map((runId) =>
        startBatchRerun({ batchId, callerId, runId, from, target }).then(
          (outcome): RerunResult => ({ original_run_id: runId, ...outcome }),
          (err: unknown): RerunResult => ({ original_run_id: runId, error: { code: 'internal', message: failureMessage(err) } }),
        ),
      ),
    );
    for (const result of results) {
      batch.results.push(result);
      if (result.error) batch.failed += 1;
      else batch.started += 1;
    }
    const rest = 1_000 - (Date.now() - began);
    if (next < originals.length && rest > 0) await sleep(rest);
  }
  batch.status = 'completed';
  batch.completed_at = new Date().toISOString();
  return batch;
}

/**
 * How many reruns may start now: at most `rate`, and no more than the caller has room for below its
 * concurrent-run limit. With no room it waits (a durable timer, longer each time up to ROOM_WAIT_MS.last,
 * so a long wait adds few history events) and looks again. The count comes from visibility, which
 * sees a start within moments: the batch's own last starts, a second ago, are counted.
 */
async function roomBelowLimit(callerId: string, limit: number, rate: number): Promise<number> {
  for (let waitMs = ROOM_WAIT_MS.first; ; waitMs = Math.min(waitMs * 2, ROOM_WAIT_MS.last)) {
    const room = limit - (await countCallerRuns({ callerId }));
    if (room > 0) return Math.min(room, rate);
    await sleep(waitMs);
  }
}
