import { createHash } from 'node:crypto';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { inputAnswered } from '../metrics.js';
import { provideInputUpdate } from '../workflows/definitions.js';
import type { InputAnswer, RunState } from '../workflows/types.js';
import { isWorkflowNotReady } from '../temporal/errors.js';
import { InputRefusedError, NoWorkerAnsweredError, NotFoundError, RunRequestError, type FieldProblem } from './errors.js';
import { canonicalJson } from './idempotency.js';
import { readRun, runOwnedBy, type RunSnapshot } from './read.js';

export interface ProvideInput {
  runId: string;
  /** Whose run it must be; a link's token already names the run, so it passes the owner it was issued for. */
  callerId: string;
  step: string;
  value: unknown;
  answeredBy: InputAnswer['answeredBy'];
  /** The Idempotency-Key, when the caller sent one: a repeat gets the same answer. */
  idempotencyKey?: string;
}

/** An answer a run took: its step, and who gave it. */
export interface InputTaken {
  step: string;
  answeredBy: InputAnswer['answeredBy'];
}

/**
 * Hands the answer to the input step a run waits at, through the run's `provideInput` update: the
 * workflow's validator decides, so of concurrent answers exactly one is taken. Resolves once the run
 * took it; refuses with input_not_pending, input_already_provided or validation_failed (the run keeps
 * waiting), or NotFoundError for a run that is not the caller's.
 */
export async function provideInput(client: Client, answer: ProvideInput): Promise<InputTaken> {
  if (!(await runOwnedBy(client, answer.runId, answer.callerId))) throw new NotFoundError(`No run ${answer.runId}.`);
  const requestHash = answer.idempotencyKey === undefined ? undefined : fingerprint(answer.step, answer.value);
  const updateId = answer.idempotencyKey === undefined ? undefined : inputUpdateId(answer.callerId, answer.idempotencyKey);
  try {
    const accepted = await client.workflow.getHandle(answer.runId).executeUpdate(provideInputUpdate, {
      args: [{ step: answer.step, value: answer.value, answeredBy: answer.answeredBy, ...(requestHash && { requestHash }) }],
      ...(updateId && { updateId }),
    });
    if (accepted.request_hash !== (requestHash ?? null)) throw idempotencyConflict(answer.runId);
    if (accepted.waiting_since) inputAnswered.observe({ answered_by: answer.answeredBy }, (Date.now() - Date.parse(accepted.waiting_since)) / 1000);
    return { step: accepted.step, answeredBy: accepted.answered_by };
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) throw refusal(answer.runId, err.cause);
    if (isWorkflowNotReady(err)) throw new NoWorkerAnsweredError(NOT_TAKEN);
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    // The run ended: it took this very answer before (a repeat of its Idempotency-Key), another one, or none.
    const after = await readRun(client, answer.runId, answer.callerId);
    if (!after) throw new NotFoundError(`No run ${answer.runId}.`);
    settleAfterEnd(after.state, answer, updateId, requestHash);
    return { step: answer.step, answeredBy: answer.answeredBy };
  }
}

const NOT_TAKEN = 'The run could not take this answer just now: the workflow task that carried it failed, so nothing was recorded. Send it again shortly.';

/**
 * The run as a read just after an answer shows it, with that answer in it. Temporal recorded the
 * answer before the read, but a read whose progress query no worker answered in time (the worker that
 * took the answer died, or is slow under load) is built from history alone and does not show it.
 */
export function withAnswer(snapshot: RunSnapshot, taken: InputTaken): RunSnapshot {
  const step = snapshot.state.agents.find((agent) => agent.name === taken.step);
  if (!step || step.answered_by) return snapshot;
  const agents = snapshot.state.agents.map((agent) => (agent === step ? { ...agent, answered_by: taken.answeredBy } : agent));
  return { ...snapshot, state: { ...snapshot.state, agents } };
}

/** The update id of an answer sent with an Idempotency-Key: the same for every repeat, so Temporal answers a repeat with the first outcome. */
function inputUpdateId(callerId: string, key: string): string {
  return `input-${createHash('sha256').update(`${callerId}\u0000${key}`).digest('hex').slice(0, 32)}`;
}

function fingerprint(step: string, value: unknown): string {
  return createHash('sha256').update(canonicalJson({ step, value })).digest('hex');
}

function idempotencyConflict(runId: string): RunRequestError {
  return new RunRequestError('idempotency_conflict', 'This Idempotency-Key was already used with a different answer.', { run_id: runId });
}

/** The workflow validator's refusal as the service's typed error. */
function refusal(runId: string, failure: ApplicationFailure): Error {
  if (failure.type === 'input_not_pending' || failure.type === 'input_already_provided') {
    const winner = (failure.details?.[0] as { answered_by?: string } | undefined)?.answered_by;
    return new InputRefusedError(failure.type, failure.message, runId, winner);
  }
  if (failure.type === 'validation_failed') {
    const errors = (failure.details?.[0] as FieldProblem[] | undefined) ?? [];
    return new RunRequestError('validation_failed', `${failure.message} The run keeps waiting.`, { errors, run_id: runId });
  }
  return failure;
}

/** For a run that has ended: a repeat of the answer it took is done; any other answer is refused. */
function settleAfterEnd(state: RunState, answer: ProvideInput, updateId: string | undefined, requestHash: string | undefined): void {
  const step = state.agents.find((agent) => agent.name === answer.step);
  if (updateId !== undefined && step?.answer_id === updateId) {
    if (step.answer_hash !== (requestHash ?? null)) throw idempotencyConflict(answer.runId);
    return;
  }
  if (step?.answered_by === 'caller' || step?.answered_by === 'link') {
    throw new InputRefusedError('input_already_provided', `The step "${answer.step}" was already answered.`, answer.runId, step.answered_by);
  }
  throw new InputRefusedError('input_not_pending', `The run ended as ${state.status}; it no longer waits for input.`, answer.runId);
}
