import { proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { batchProgressQuery } from './definitions.js';
import { failureMessage } from './failure-details.js';
import type { RerunBatch, RerunBatchRequest, RerunResult } from './types.js';

const { listRerunCandidates } = proxyActivities<Activities>({ startToCloseTimeout: '2m', retry: { maximumAttempts: 5, initialInterval: '1s' } });
const { startBatchRerun } = proxyActivities<Activities>({ startToCloseTimeout: '30s', retry: { maximumAttempts: 5, initialInterval: '1s' } });

/**
 * Re-runs every ended run a filter selects, from one agent on: lists them once (the list is in
 * history, so a restart re-runs exactly that list), then starts their reruns at most `ratePerSecond`
 * a second. Each rerun's id derives from the batch and the original, so a start retried after a crash
 * finds the rerun it already made; one run that cannot be re-run is reported and the others go on.
 */
export async function rerunBatchWorkflow(request: RerunBatchRequest): Promise<RerunBatch> {
  const { batchId, callerId, filter, from, target, ratePerSecond } = request;
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
  for (let next = 0; next < originals.length; next += ratePerSecond) {
    const began = Date.now();
    const chunk = originals.slice(next, next + ratePerSecond);
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
    if (next + ratePerSecond < originals.length && rest > 0) await sleep(rest);
  }
  batch.status = 'completed';
  batch.completed_at = new Date().toISOString();
  return batch;
}
