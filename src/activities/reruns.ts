import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Config } from '../config.js';
import { runsStarted } from '../metrics.js';
import { RunRequestError, NotFoundError } from '../runs/errors.js';
import { idempotentRunId } from '../runs/idempotency.js';
import { planRerun } from '../runs/rerun.js';
import { listEndedRuns } from '../runs/list.js';
import { countRunningRuns } from '../runs/running-runs.js';
import { startRun } from '../runs/start.js';
import type { BatchRerunRequest, RerunFilter, RerunResult } from '../workflows/types.js';

export interface RerunDeps {
  client: Client;
  config: Config;
}

/** The activities of a rerun batch (src/workflows/rerun-batch.ts): list the runs, count the caller's runs in progress, start each rerun. */
export function createRerunActivities({ client, config }: RerunDeps) {
  return {
    /** The ids of the caller's ended runs the filter selects, newest first, at most `filter.limit`. */
    listRerunCandidates({ callerId, filter }: { callerId: string; filter: RerunFilter }): Promise<string[]> {
      return listEndedRuns(client, callerId, filter);
    },

    /** How many of the caller's runs are in progress now, reruns included: the batch starts only into the room below its limit. */
    countCallerRuns({ callerId }: { callerId: string }): Promise<number> {
      return countRunningRuns(client, callerId);
    },

    /**
     * Starts one run's rerun under an id derived from the batch and the run, so a retry after a crash
     * finds the rerun it already started instead of making a second. A run that cannot be re-run (gone,
     * not ended, an agent before `from` unfinished) is a result, not a failure: the batch goes on.
     */
    async startBatchRerun({ batchId, callerId, runId, from, target }: BatchRerunRequest): Promise<Omit<RerunResult, 'original_run_id'>> {
      const rerunId = idempotentRunId(callerId, `rerun-batch\u0000${batchId}\u0000${runId}`);
      try {
        const planned = await planRerun(client, callerId, runId, { from }, () => ({ ref: `${target.name}@${target.version}`, agents: target.plan.agents }));
        await startRun(client, config, target, { input: planned.input, callerId, runId: rerunId, rerun: planned.rerun });
        runsStarted.inc({ chain: target.name });
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) return { run_id: rerunId };
        if (err instanceof RunRequestError) return { error: { code: err.code, message: err.message } };
        if (err instanceof NotFoundError) return { error: { code: 'not_found', message: err.message } };
        throw err;
      }
      return { run_id: rerunId };
    },
  };
}
