import { createHash } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { z } from 'zod';
import type { Caller } from '../api/callers.js';
import type { ChainCatalog } from '../chains/catalog.js';
import type { Config } from '../config.js';
import { rerunBatchSchema, rerunFilterSchema } from '../records/schemas.js';
import { parseRecord } from '../temporal/payloads.js';
import { QUERY_DEADLINE_MS, queryIfAnswered } from '../temporal/query.js';
import { CallerIdKey, RERUN_BATCH_WORKFLOW, batchProgressQuery } from '../workflows/definitions.js';
import type { rerunBatchWorkflow } from '../workflows/rerun-batch.js';
import type { RerunBatch, RerunFilter } from '../workflows/types.js';
import { describeWorkflow } from './describe.js';
import { NoWorkerAnsweredError, NotFoundError, RunRequestError } from './errors.js';
import { canonicalJson } from './idempotency.js';
import { resolveChain } from './launch.js';

export interface RerunBatchRequest {
  chain: string;
  status: RerunFilter['status'];
  from: string;
  created_after?: string;
  created_before?: string;
  limit: number;
  target_chain?: string;
}

/** What a batch's memo keeps: whose it is and the request that defined it, for repeats of its Idempotency-Key. */
const batchMemoSchema = z.object({ caller_id: z.string(), request_hash: z.string(), filter: rerunFilterSchema });

/** The batch id for (caller, Idempotency-Key): a repeat addresses the same batch workflow. */
export function batchIdFor(callerId: string, key: string): string {
  return `batch-k${createHash('sha256').update(`rerun-batch\u0000${callerId}\u0000${key}`).digest('hex').slice(0, 31)}`;
}

/**
 * Starts a rerun batch as its own workflow (it lists the runs and starts their reruns, see
 * src/workflows/rerun-batch.ts), or attaches to the batch this Idempotency-Key already started. The
 * chain versions are resolved now, for this caller; the key is required, so a retried request never
 * re-runs a run twice.
 */
export async function startRerunBatch(deps: { client: Client; config: Config; catalog: ChainCatalog }, caller: Caller, request: RerunBatchRequest, key: string | undefined): Promise<string> {
  if (!key) throw new RunRequestError('invalid_request', 'A bulk rerun needs an Idempotency-Key header, so that a retried request never re-runs a run twice.');
  const source = resolveChain(deps.catalog, caller, request.chain);
  const target = request.target_chain ? resolveChain(deps.catalog, caller, request.target_chain) : source;
  if (target.name !== source.name) {
    throw new RunRequestError('validation_failed', `target_chain must be a version of ${source.name}.`, { errors: [{ path: 'target_chain', message: `is not a version of ${source.name}` }] });
  }
  const filter: RerunFilter = {
    chain: `${source.name}@${source.version}`,
    status: request.status,
    limit: request.limit,
    ...(request.created_after && { created_after: new Date(request.created_after).toISOString() }),
    ...(request.created_before && { created_before: new Date(request.created_before).toISOString() }),
  };
  const requestHash = createHash('sha256').update(canonicalJson(request)).digest('hex');
  const batchId = batchIdFor(caller.id, key);
  try {
    await deps.client.workflow.start<typeof rerunBatchWorkflow>(RERUN_BATCH_WORKFLOW, {
      workflowId: batchId,
      taskQueue: deps.config.temporal.taskQueue,
      args: [{ batchId, callerId: caller.id, filter, from: request.from, target: { name: target.name, version: target.version, plan: target.plan }, ratePerSecond: deps.config.runs.rerunBatchRate, maxConcurrentRuns: caller.maxConcurrentRuns }],
      typedSearchAttributes: new TypedSearchAttributes([{ key: CallerIdKey, value: caller.id }]),
      memo: { caller_id: caller.id, request_hash: requestHash, filter } satisfies z.infer<typeof batchMemoSchema>,
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      staticSummary: `rerun ${filter.status} runs of ${filter.chain} from ${request.from} on ${target.name}@${target.version} · ${caller.id}`,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    if ((await describeBatch(deps.client, batchId))?.memo.request_hash !== requestHash) {
      throw new RunRequestError('idempotency_conflict', 'This Idempotency-Key was already used with a different request body. Use a new key for a new batch.');
    }
  }
  return batchId;
}

/**
 * A batch of the caller's: its progress while it runs (from its workflow, through a worker: with none
 * answering in time, NoWorkerAnsweredError), its results once it ended (from history, no worker
 * needed); NotFoundError for anyone else's.
 */
export async function readRerunBatch(client: Client, callerId: string, batchId: string): Promise<RerunBatch> {
  const batch = await describeBatch(client, batchId);
  if (batch?.memo.caller_id !== callerId) throw new NotFoundError(`No rerun batch ${batchId}.`);
  const handle = client.workflow.getHandle<typeof rerunBatchWorkflow>(batchId);
  const state = batch.running ? await queryIfAnswered(client, () => handle.query(batchProgressQuery)) : await handle.result();
  if (state === undefined) {
    throw new NoWorkerAnsweredError(`Rerun batch ${batchId} is running, and no worker answered for its progress within ${QUERY_DEADLINE_MS / 1000} s (workers down, restarting or overloaded). Its reruns go on once one is back; retry shortly.`);
  }
  return parseRecord(rerunBatchSchema, state, `Rerun batch ${batchId}`);
}

/** A batch workflow's memo and whether it still runs; undefined when there is no such batch. */
async function describeBatch(client: Client, batchId: string): Promise<{ memo: z.infer<typeof batchMemoSchema>; running: boolean } | undefined> {
  const description = await describeWorkflow(client, batchId);
  const memo = batchMemoSchema.safeParse(description?.memo);
  return description && memo.success ? { memo: memo.data, running: description.status.name === 'RUNNING' } : undefined;
}
