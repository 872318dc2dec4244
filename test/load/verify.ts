// The no-loss checks, run once the load has drained: every run completed (read back with GET), every
// webhook run has exactly one delivery by webhook-id, and no retry started a second run.
import { z } from 'zod';
import { runPool } from '../../bench/stats.js';
import { EXECUTION_STATUS, WORKFLOW_TYPE, and, equals } from '../../src/runs/visibility-query.js';
import { CHAIN_WORKFLOW, CallerIdKey } from '../../src/workflows/definitions.js';
import type { TestEngine } from '../helpers/engine.js';
import type { RunOutcome, RunSpec } from './callers.js';
import { sleep, type LoadHttp } from './http.js';
import type { DedupReceiver } from './receiver.js';

const runSchema = z.object({ status: z.string(), output: z.unknown().optional() });
const deliveriesSchema = z.object({ data: z.array(z.object({ delivery_id: z.string(), status: z.string() })) });

export interface RunRecord {
  spec: RunSpec;
  outcome: RunOutcome;
}

export interface GlobalCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/** How long the checks wait for the service to agree (a delivery log still pending, visibility catching up). */
const SETTLE_MS = 60_000;

/** Adds each run's check failures to its `problems`; returns the checks over all runs. */
export async function verifyRuns(records: RunRecord[], deps: { http: LoadHttp; receiver: DedupReceiver; engine: TestEngine }): Promise<GlobalCheck[]> {
  const { http, receiver, engine } = deps;
  await runPool(records.length, 20, async (i) => {
    const { outcome } = records[i]!;
    try {
      await verifyRun(records[i]!, http, receiver);
    } catch (err) {
      outcome.problems.push(`could not check the run: ${(err as Error).message}`);
    }
  });

  const ours = new Set(records.map((r) => r.outcome.runId));
  const strangers = receiver.runIds().filter((id) => !ours.has(id));
  return [
    await noSecondRuns(engine, records.length),
    { name: 'no delivery for a run the load did not start', ok: strangers.length === 0, detail: strangers.length === 0 ? 'none' : strangers.slice(0, 5).join(', ') },
  ];
}

async function verifyRun({ spec, outcome }: RunRecord, http: LoadHttp, receiver: DedupReceiver): Promise<void> {
  const deadline = Date.now() + SETTLE_MS;
  if (!outcome.runId) {
    if (outcome.problems.length === 0) outcome.problems.push('the caller never learned its run id');
    return;
  }
  const reply = await http.retrying('GET /api/v1/runs/{run_id}', `/api/v1/runs/${outcome.runId}`, {}, deadline);
  const run = reply.status === 200 ? runSchema.parse(reply.body) : undefined;
  outcome.completed = run?.status === 'completed';
  if (run?.status !== 'completed') {
    outcome.problems.push(`GET /runs/${outcome.runId} answered ${reply.status}${run ? ` with status ${run.status}` : ''}, not completed`);
    return;
  }
  if (spec.kind === 'webhook') outcome.problems.push(...(await webhookProblems(http, receiver, outcome.runId, run.output, deadline)));
}

/** Exactly one delivery (by webhook-id) for the run, carrying its final state, and the service's log agrees. */
async function webhookProblems(http: LoadHttp, receiver: DedupReceiver, runId: string, output: unknown, deadline: number): Promise<string[]> {
  const deliveries = receiver.deliveriesOf(runId);
  if (deliveries.length !== 1) return [`the receiver has ${deliveries.length} distinct deliveries (webhook-ids) for ${runId}, not 1: ${deliveries.map((d) => d.webhookId).join(', ')}`];
  const [delivery] = deliveries as [(typeof deliveries)[number]];
  const problems: string[] = [];
  if (delivery.event !== 'chain.completed' || delivery.status !== 'completed') problems.push(`the delivery says ${delivery.event} / ${delivery.status}`);
  if (delivery.output !== output) problems.push("the delivery's output differs from the run's output");
  // The delivery log records each attempt as a signal: it may lag the receiver's 200 by a moment.
  for (;;) {
    const reply = await http.retrying('GET /api/v1/runs/{run_id}/deliveries', `/api/v1/runs/${runId}/deliveries`, {}, deadline);
    const log = reply.status === 200 ? deliveriesSchema.parse(reply.body).data : [];
    if (log.length === 1 && log[0]!.status === 'delivered' && log[0]!.delivery_id === delivery.webhookId) return problems;
    if (Date.now() > deadline) {
      problems.push(`the delivery log of ${runId} says ${JSON.stringify(log)}, not one delivered ${delivery.webhookId}`);
      return problems;
    }
    await sleep(500);
  }
}

/** Idempotency held under retries: Temporal has exactly one chain run per load run, none still running. */
async function noSecondRuns(engine: TestEngine, runs: number): Promise<GlobalCheck> {
  const alices = [equals(WORKFLOW_TYPE, CHAIN_WORKFLOW), equals(CallerIdKey, 'alice')] as const;
  let total = -1;
  let running = -1;
  for (let tries = 0; tries < 20; tries++) {
    total = (await engine.client.workflow.count(and(...alices))).count;
    running = (await engine.client.workflow.count(and(...alices, equals(EXECUTION_STATUS, 'Running')))).count;
    if (total === runs && running === 0) break;
    await sleep(1_000);
  }
  return { name: 'one chain run per load run (no retry started a second run), none still running', ok: total === runs && running === 0, detail: `${total} chain runs for ${runs} load runs, ${running} running` };
}

