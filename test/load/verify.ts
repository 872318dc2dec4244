// The no-loss checks, run once the load has drained: every run completed (read back with GET), every
// webhook run has exactly one delivery by webhook-id, every input run went on with its caller's answer
// (exactly one answer taken, by whom it should be), and no retry started a second run.
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { runPool } from '../../bench/stats.js';
import { EXECUTION_STATUS, WORKFLOW_TYPE, and, equals } from '../../src/runs/visibility-query.js';
import { decodeFirst } from '../../src/temporal/payloads.js';
import { CHAIN_WORKFLOW, CallerIdKey, provideInputUpdate } from '../../src/workflows/definitions.js';
import type { TestEngine } from '../helpers/engine.js';
import { INPUT_CALLERS, INPUT_STEP, type RunOutcome, type RunSpec } from './callers.js';
import { sleep, type LoadHttp } from './http.js';
import type { DedupReceiver } from './receiver.js';

const runSchema = z.object({
  status: z.string(),
  output: z.unknown().optional(),
  agents: z.array(z.object({ name: z.string(), status: z.string(), attempts: z.number(), answered_by: z.string().optional() })),
});
const deliveriesSchema = z.object({ data: z.array(z.object({ delivery_id: z.string(), event: z.string(), status: z.string() })) });
/** The provideInput update's argument as history keeps it (see InputAnswer). */
const inputAnswerSchema = z.object({ step: z.string(), value: z.unknown(), answeredBy: z.string() });

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
      await verifyRun(records[i]!, http, receiver, engine);
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

async function verifyRun({ spec, outcome }: RunRecord, http: LoadHttp, receiver: DedupReceiver, engine: TestEngine): Promise<void> {
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
  if (spec.kind === 'webhook') outcome.problems.push(...(await webhookProblems(http, receiver, outcome.runId, run.output, deadline, ['chain.completed'])));
  if (spec.kind === 'input_api' || spec.kind === 'input_link') {
    outcome.problems.push(...(await inputProblems(spec, outcome.runId, run, engine)));
    if (spec.kind === 'input_link') outcome.problems.push(...(await webhookProblems(http, receiver, outcome.runId, run.output, deadline, ['run.input_required', 'chain.completed'])));
  }
}

/**
 * An input run went on with its caller's answer: the output carries the answer's note, the step says
 * who answered, and the run's history holds exactly one accepted answer (refused ones never enter it) —
 * the caller's — so neither a retried answer nor the refused second one was taken as well.
 */
async function inputProblems(spec: RunSpec, runId: string, run: z.infer<typeof runSchema>, engine: TestEngine): Promise<string[]> {
  const problems: string[] = [];
  const answeredBy = INPUT_CALLERS[spec.kind as keyof typeof INPUT_CALLERS];
  const expected = `Published: ${spec.answer?.note}`;
  if (run.output !== expected) problems.push(`the output is ${JSON.stringify(run.output)}, not ${JSON.stringify(expected)}`);
  // The simulated agents may have run twice (a fault mid-attempt); the step is answered once.
  const agents = run.agents.map((a) => `${a.name} ${a.status}${a.name === INPUT_STEP ? ` ${a.attempts} ${a.answered_by}` : ''}`);
  const want = ['writer completed', `${INPUT_STEP} completed 1 ${answeredBy}`, 'publisher completed'];
  if (!isDeepStrictEqual(agents, want)) problems.push(`the agents are [${agents.join(', ')}], not [${want.join(', ')}]`);

  const events = (await engine.client.workflow.getHandle(runId).fetchHistory()).events ?? [];
  const accepted = events.flatMap((e) => {
    const request = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input;
    return request?.name === provideInputUpdate.name ? [request.args?.payloads] : [];
  });
  if (accepted.length !== 1) problems.push(`the run's history holds ${accepted.length} accepted answers, not 1`);
  for (const payloads of accepted) {
    const answer = inputAnswerSchema.safeParse(await decodeFirst(engine.client.options.loadedDataConverter, payloads));
    const taken = answer.data;
    if (!taken || taken.step !== INPUT_STEP || taken.answeredBy !== answeredBy || !isDeepStrictEqual(taken.value, spec.answer)) {
      problems.push(`the run took the answer ${JSON.stringify(answer.data ?? answer.error.message)}, not ${JSON.stringify(spec.answer)} by ${answeredBy}`);
    }
  }
  return problems;
}

/**
 * Exactly one delivery (by webhook-id) for each of `events`, in that order, and none else; the last
 * carries the run's final state, and the service's log agrees.
 */
async function webhookProblems(http: LoadHttp, receiver: DedupReceiver, runId: string, output: unknown, deadline: number, events: string[]): Promise<string[]> {
  const deliveries = receiver.deliveriesOf(runId);
  const seen = deliveries.map((d) => d.event);
  if (!isDeepStrictEqual(seen, events)) return [`the receiver has ${deliveries.length} distinct deliveries (webhook-ids) for ${runId}, [${seen.join(', ')}], not [${events.join(', ')}]: ${deliveries.map((d) => d.webhookId).join(', ')}`];
  const problems: string[] = [];
  const last = deliveries.at(-1)!;
  if (last.event !== 'chain.completed' || last.status !== 'completed') problems.push(`the delivery says ${last.event} / ${last.status}`);
  if (last.output !== output) problems.push("the delivery's output differs from the run's output");
  const request = deliveries.find((d) => d.event === 'run.input_required');
  if (request && (request.status !== 'waiting_for_input' || request.step !== INPUT_STEP || !request.respondUrl)) problems.push(`the run.input_required delivery says ${request.status}, step ${request.step}, respond_url ${request.respondUrl}`);
  // The delivery log records each attempt as a signal: it may lag the receiver's 200 by a moment.
  const want = deliveries.map((d) => `${d.webhookId} ${d.event} delivered`).sort();
  for (;;) {
    const reply = await http.retrying('GET /api/v1/runs/{run_id}/deliveries', `/api/v1/runs/${runId}/deliveries`, {}, deadline);
    const log = reply.status === 200 ? deliveriesSchema.parse(reply.body).data : [];
    if (isDeepStrictEqual(log.map((d) => `${d.delivery_id} ${d.event} ${d.status}`).sort(), want)) return problems;
    if (Date.now() > deadline) {
      problems.push(`the delivery log of ${runId} says ${JSON.stringify(log)}, not [${want.join(', ')}]`);
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

