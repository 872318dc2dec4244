import { randomBytes } from 'node:crypto';
import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { z } from 'zod';
import type { ChainVersion } from '../chains/catalog.js';
import type { Config } from '../config.js';
import type { chainWorkflow } from '../workflows/chain.js';
import { rerunOfSchema } from '../records/schemas.js';
import { runBudget } from '../workflows/budget.js';
import { CHAIN_WORKFLOW, CallerIdKey, ChainNameKey, ChainVersionKey, RerunOfKey } from '../workflows/definitions.js';
import type { ChainRunRequest, RerunPlan, RunWebhook } from '../workflows/types.js';
import { runDetails, runSummary } from './ui-metadata.js';

export interface StartRunOptions {
  input: unknown;
  callerId: string;
  maxCost?: number;
  /** Defaults to a fresh random id; idempotent starts pass one derived from (caller, key). */
  runId?: string;
  webhook?: RunWebhook;
  /** Set for runs a caller must keep polling or watching (async and stream runs without a webhook). */
  orphanTimeoutMs?: number;
  /** Fingerprint of the defining request, kept in the memo to detect a reused Idempotency-Key. */
  requestHash?: string;
  /** The sealed webhook secret the server generated, kept so repeats of an idempotent start can show it. */
  generatedSecret?: string;
  /** For a rerun: the run it re-runs and the agents it reuses. */
  rerun?: RerunPlan;
}

/** What the memo of every run holds; read back without replaying the workflow. */
export const runMemoSchema = z.object({
  caller_id: z.string(),
  chain: z.string(),
  chain_version: z.number().int(),
  agents: z.array(z.string()),
  input_bytes: z.number(),
  request_hash: z.string().optional(),
  /** Sealed (SecretBox), never plain: the memo shows in the Temporal UI. */
  webhook_secret: z.string().optional(),
  /** Whether the run is cancelled when nobody watches it (then sync waits and streams must touch it). Absent on runs from before it was kept. */
  orphanable: z.boolean().optional(),
  /** Reruns only: the run re-run and the agent it re-ran from. */
  rerun_of: rerunOfSchema.optional(),
});
export type RunMemo = z.infer<typeof runMemoSchema>;

/** Whether runs of the chain can wait for a person's answer (it has an input step). */
export function waitsForInput(chain: Pick<ChainVersion, 'plan'>): boolean {
  return chain.plan.agents.some((agent) => agent.input !== undefined);
}

/** A new run id: `run-` and 20 hex digits (80 random bits), safe in URLs and Temporal workflow IDs. */
export function newRunId(): string {
  return `run-${randomBytes(10).toString('hex')}`;
}

/**
 * Starts one run of a chain version as a workflow whose ID is the run id, tagged with search
 * attributes (ChainName, ChainVersion, CallerId), a memo, and the summary and details ops read in
 * the Temporal UI (see ui-metadata.ts).
 */
export async function startRun(
  client: Client,
  config: Config,
  chain: Pick<ChainVersion, 'name' | 'version' | 'plan'>,
  options: StartRunOptions,
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof chainWorkflow>> {
  const runId = options.runId ?? newRunId();
  const inputBytes = Buffer.byteLength(JSON.stringify(options.input ?? null));
  const request: ChainRunRequest = {
    runId,
    callerId: options.callerId,
    // Every run is bounded by its chain's timeout and the service's maximum lifetime, whichever is lower.
    // With input steps the two part: waiting for an answer stops the chain's clock, never the lifetime's.
    ...(waitsForInput(chain)
      ? { plan: chain.plan, lifetimeMs: config.runs.maxLifetimeMs }
      : { plan: { ...chain.plan, timeoutMs: Math.min(chain.plan.timeoutMs, config.runs.maxLifetimeMs) } }),
    input: options.input,
    ...(options.maxCost !== undefined && { maxCost: options.maxCost }),
    ...(options.webhook && { webhook: options.webhook }),
    ...(options.orphanTimeoutMs !== undefined && { orphanTimeoutMs: options.orphanTimeoutMs }),
    endMetric: 'sink',
    ...(options.rerun && { rerun: options.rerun }),
  };
  return client.workflow.start<typeof chainWorkflow>(CHAIN_WORKFLOW, {
    workflowId: runId,
    taskQueue: config.temporal.taskQueue,
    args: [request],
    typedSearchAttributes: new TypedSearchAttributes([
      { key: ChainNameKey, value: chain.name },
      { key: ChainVersionKey, value: chain.version },
      { key: CallerIdKey, value: options.callerId },
      ...(options.rerun ? [{ key: RerunOfKey, value: options.rerun.of.run_id }] : []),
    ]),
    memo: {
      caller_id: options.callerId,
      chain: chain.name,
      chain_version: chain.version,
      agents: chain.plan.agents.map((a) => a.name),
      input_bytes: inputBytes,
      ...(options.requestHash && { request_hash: options.requestHash }),
      orphanable: options.orphanTimeoutMs !== undefined,
      ...(options.generatedSecret && { webhook_secret: options.generatedSecret }),
      ...(options.rerun && { rerun_of: options.rerun.of }),
    } satisfies RunMemo,
    // A run id is never used twice: for a derived id (Idempotency-Key), a start that finds the id taken,
    // running or closed, fails, and the caller attaches to that run instead — so one key never makes two
    // runs, and a start that succeeds is known to have made this one.
    workflowIdConflictPolicy: 'FAIL',
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    staticSummary: runSummary(chain, options.callerId),
    staticDetails: runDetails({ inputBytes, webhookUrl: options.webhook?.url, budgetUsd: runBudget(chain.plan.maxCost, options.maxCost), rerunOf: options.rerun?.of }),
  });
}
