import { Validator, type OutputUnit } from '@cfworker/json-schema';
import { ApplicationFailure, condition, currentUpdateInfo, setHandler, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import { INPUT_MEMO_KEY, RunStatusKey, provideInputUpdate } from './definitions.js';
import type { AgentPlan, InputAnswer, InputAnswerRecord, InputRequest, RunState } from './types.js';

/** How an input step went on: with an answer (a caller's, a link's, or the default at its timeout), or not at all. */
export type InputOutcome = { value: unknown; answeredBy: 'caller' | 'link' | 'default'; record?: InputAnswerRecord } | { timedOut: true };

interface Waiting {
  step: string;
  /** When the step started waiting (ISO 8601). */
  since: string;
  validator: Validator;
  answer?: InputAnswer & { record: InputAnswerRecord };
}

/**
 * The run's input steps: where it waits for a person's answer, delivered by the `provideInput` update.
 * The update's validator decides in the workflow, one answer at a time, so of many concurrent answers
 * exactly one is accepted; refused answers never enter history.
 */
export class InputSteps {
  private waiting: Waiting | undefined;
  /** Who answered each step a caller or a link answered: a later answer for it is input_already_provided, not input_not_pending. */
  private readonly answered = new Map<string, InputAnswer['answeredBy']>();

  constructor(private readonly state: RunState) {
    setHandler(
      provideInputUpdate,
      (answer) => {
        // Accepted synchronously: the next answer's validator already sees this one.
        const waiting = this.waiting!;
        waiting.answer = { ...answer, record: { id: currentUpdateInfo()!.id, hash: answer.requestHash ?? null } };
        this.answered.set(answer.step, answer.answeredBy);
        return { step: answer.step, answered_by: answer.answeredBy, request_hash: answer.requestHash ?? null, waiting_since: waiting.since };
      },
      { validator: (answer) => this.check(answer) },
    );
  }

  /** True while the run waits at a step: its clocks (chain timeout, orphan rule) stand still then. */
  get paused(): boolean {
    return this.waiting !== undefined;
  }

  /**
   * Waits at the input step `index` until it is answered or its timeout passes. `announce` runs once
   * the run shows it waits (state, memo, RunStatus), before the wait: it sends the webhook.
   */
  async wait(index: number, agent: AgentPlan, prompt: string, announce: (request: InputRequest) => Promise<void>): Promise<InputOutcome> {
    const spec = agent.input!;
    const request: InputRequest = {
      step: agent.name,
      index,
      prompt,
      schema: spec.schema,
      expires_at: new Date(Date.now() + spec.timeoutMs).toISOString(),
    };
    const waiting: Waiting = { step: agent.name, since: new Date().toISOString(), validator: new Validator(spec.schema, '2020-12', false) };
    this.waiting = waiting;
    this.show('waiting_for_input', request);
    upsertMemo({ [INPUT_MEMO_KEY]: request });
    try {
      await announce(request);
      const answered = await condition(() => waiting.answer !== undefined, spec.timeoutMs);
      const outcome: InputOutcome = answered
        ? { value: waiting.answer!.value, answeredBy: waiting.answer!.answeredBy, record: waiting.answer!.record }
        : spec.onTimeout === 'continue'
          ? { value: spec.default ?? null, answeredBy: 'default' }
          : { timedOut: true };
      if ('answeredBy' in outcome) upsertMemo({ [INPUT_MEMO_KEY]: { step: agent.name, index, answered_by: outcome.answeredBy } });
      return outcome;
    } finally {
      this.waiting = undefined;
      this.show('running', null);
    }
  }

  private show(status: 'running' | 'waiting_for_input', request: InputRequest | null): void {
    // A run that ends while it waits settles its own status; only a live run is put back to running.
    if (status === 'running' && this.state.status !== 'waiting_for_input') return;
    this.state.status = status;
    this.state.input_request = request;
    upsertSearchAttributes([{ key: RunStatusKey, value: status }]);
  }

  private check(answer: InputAnswer): void {
    const answeredBy = this.answered.get(answer.step);
    if (answeredBy) {
      // Who won tells a partner whose link POST got no answer (a dropped connection) whether it was theirs.
      throw ApplicationFailure.create({ type: 'input_already_provided', message: `The step "${answer.step}" was already answered.`, nonRetryable: true, details: [{ answered_by: answeredBy }] });
    }
    const waiting = this.waiting;
    if (!waiting || waiting.step !== answer.step) {
      const where = waiting ? `it waits at "${waiting.step}"` : 'it is not waiting for input';
      throw ApplicationFailure.create({ type: 'input_not_pending', message: `The run is not waiting for the step "${answer.step}": ${where}.`, nonRetryable: true });
    }
    const result = waiting.validator.validate(answer.value);
    if (!result.valid) {
      throw ApplicationFailure.create({
        type: 'validation_failed',
        message: `The value does not match the schema of the step "${answer.step}".`,
        nonRetryable: true,
        details: [leafProblems(result.errors)],
      });
    }
  }
}

/** The validator's errors as {path, message} into the answer, without the summaries of enclosing keywords ("properties", "allOf"). */
function leafProblems(errors: OutputUnit[]): Array<{ path: string; message: string }> {
  const leaves = errors.filter((e) => !errors.some((other) => other !== e && other.keywordLocation.startsWith(`${e.keywordLocation}/`)));
  const seen = new Set<string>();
  const problems: Array<{ path: string; message: string }> = [];
  for (const error of leaves) {
    const pointer = error.instanceLocation.replace(/^#/, '');
    const path = `value${pointer.split('/').slice(1).map((part) => `.${part}`).join('')}`;
    const key = `${path}\u0000${error.error}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push({ path, message: error.error });
  }
  return problems;
}
