import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { parseRecord } from '../temporal/payloads.js';
import { queryIfAnswered } from '../temporal/query.js';
import { RESULT_MEMO_KEY, progressQuery } from '../workflows/definitions.js';
import { runStateSchema } from '../records/schemas.js';
import type { AgentState, RunState, RunStatus } from '../workflows/types.js';
import { describeWorkflow } from './describe.js';
import { NotFoundError } from './errors.js';
import type { LocalRuns } from './local-runs.js';
import type { ProgressCache } from './progress-cache.js';
import { runMemoSchema, type RunMemo } from './start.js';

/** A run as the API sees it: its state plus what only Temporal's description knows. */
export interface RunSnapshot {
  state: RunState;
  /** Attempt number of the agent running now, from the pending activity (the workflow learns it only at the end). */
  currentAttempt: number | undefined;
  /** The pending activity's last failure, when it is between attempts. */
  lastFailure: string | undefined;
}

/** WorkflowExecutionStarted, WorkflowTaskScheduled and WorkflowTaskStarted: a history no task has completed in yet. */
const FIRST_TASK_EVENTS = 3;

/** A run's memo: what the start wrote, and the final state the workflow adds when it ends. */
const storedRunMemo = runMemoSchema.extend({ [RESULT_MEMO_KEY]: runStateSchema.optional() });
/** Just the owner, read before anything else so a run that is not the caller's says nothing more. */
const ownerMemo = runMemoSchema.pick({ caller_id: true });

/** The caller a run belongs to, from its memo; undefined when the memo names none. */
function ownerOf(description: WorkflowExecutionDescription): string | undefined {
  const owner = ownerMemo.safeParse(description.memo);
  return owner.success ? owner.data.caller_id : undefined;
}

/** Where a read may find an open run's progress without querying its workflow. */
export interface ProgressSources {
  /** Earlier query answers, good while the history has not grown. */
  progress?: ProgressCache;
  /** What this process's own worker published of the run. */
  local?: LocalRuns;
}

/**
 * Reads one run for one caller; undefined when it does not exist or belongs to someone else (the two
 * are indistinguishable on purpose). Open runs answer from what this process's worker published of
 * them, else from the `progress` query; closed runs from the memo, without replaying on a worker. With
 * no worker up, an open run still answers from history.
 */
export async function readRun(client: Client, runId: string, callerId: string, { progress, local }: ProgressSources = {}): Promise<RunSnapshot | undefined> {
  const description = await describeWorkflow(client, runId);
  if (!description || ownerOf(description) !== callerId) return undefined;
  const memo = parseRecord(storedRunMemo, description.memo, `The memo of run ${runId}`);
  const pending = description.raw.pendingActivities?.[0];
  const live = {
    currentAttempt: pending?.attempt ?? undefined,
    lastFailure: pending?.lastFailure?.message ?? undefined,
  };
  if (description.status.name !== 'RUNNING') {
    progress?.forget(runId);
    local?.forget(runId);
    return { state: memo[RESULT_MEMO_KEY] ?? stateFromHistory(description, memo), currentAttempt: undefined, lastFailure: undefined };
  }
  const known = local?.progress(runId, description.historyLength) ?? progress?.get(runId, description.historyLength);
  if (known) return { state: known, ...live };
  // Until its first workflow task completes, a run has done nothing: its state is the initial one, and a
  // query would only wait for that task. (Not for a rerun: its initial state lists the agents it reuses.)
  if (description.historyLength <= FIRST_TASK_EVENTS && !memo.rerun_of) return { state: stateFromHistory(description, memo), ...live };
  // With no worker to answer in time, the run is answered from history alone.
  const answer = await queryIfAnswered(client, () => client.workflow.getHandle(runId).query(progressQuery));
  if (answer === undefined) return { state: stateFromHistory(description, memo), ...live };
  const state = parseRecord(runStateSchema, answer, `The progress of run ${runId}`);
  progress?.set(runId, description.historyLength, state);
  return { state, ...live };
}

/** Reads one of the caller's runs, or refuses with NotFoundError. */
export async function readOwnedRun(client: Client, runId: string, callerId: string, sources?: ProgressSources): Promise<RunSnapshot> {
  const snapshot = await readRun(client, runId, callerId, sources);
  if (!snapshot) throw new NotFoundError(`No run ${runId}.`);
  return snapshot;
}

/** Best-effort state for a run with no worker to ask, or one closed without our memo (terminated, for one). */
function stateFromHistory(description: WorkflowExecutionDescription, memo: RunMemo): RunState {
  const status = TEMPORAL_STATUS[description.status.name] ?? 'failed';
  const started = description.startTime;
  const ended = description.closeTime;
  const agents: AgentState[] = memo.agents.map((name) => ({
    name,
    status: status === 'running' ? 'pending' : 'skipped',
    attempts: 0,
    started_at: null,
    duration_ms: null,
    cost: 0,
    error: null,
  }));
  return {
    run_id: description.workflowId,
    chain: memo.chain,
    chain_version: memo.chain_version,
    caller_id: memo.caller_id,
    status,
    current_agent: null,
    agents_completed: 0,
    agents_total: agents.length,
    agents,
    cost: 0,
    started_at: started.toISOString(),
    ended_at: ended?.toISOString() ?? null,
    duration_ms: ended ? ended.getTime() - started.getTime() : null,
    deliveries: [],
    error:
      status === 'running'
        ? null
        : { code: status === 'timed_out' ? 'chain_timeout' : status === 'cancelled' ? 'cancelled' : 'agent_failed', message: `The run ended as ${description.status.name} in Temporal.` },
  };
}

const TEMPORAL_STATUS: Record<string, RunStatus> = {
  RUNNING: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  TERMINATED: 'cancelled',
  TIMED_OUT: 'timed_out',
  CONTINUED_AS_NEW: 'running',
};

/** Whether a run exists and belongs to the caller (one describe; no query, no replay). */
export async function runOwnedBy(client: Client, runId: string, callerId: string): Promise<boolean> {
  const description = await describeWorkflow(client, runId);
  return description !== undefined && ownerOf(description) === callerId;
}
