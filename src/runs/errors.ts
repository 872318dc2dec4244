// What the run service refuses, as types with a stable `code`. The service knows nothing of HTTP: the
// API's problem middleware maps each to its problem+json status in one place.

/** Field-level detail of a refused request. */
export interface FieldProblem {
  path: string;
  message: string;
}

/** The request names something the caller cannot use, is not valid, or (run_not_ended) comes too early; `code` says which. */
export class RunRequestError extends Error {
  override name = 'RunRequestError';

  constructor(
    readonly code: 'chain_not_found' | 'forbidden' | 'chain_unavailable' | 'invalid_request' | 'validation_failed' | 'idempotency_conflict' | 'run_not_ended',
    message: string,
    readonly details: { errors?: FieldProblem[]; run_id?: string } = {},
  ) {
    super(message);
  }
}

/**
 * One of the caller's limits is reached: `policy` names it (concurrent-runs, open-deliveries,
 * redeliveries), `quota` is its size, `retryAfterS` how long waiting is worth, `windowS` its window.
 */
export class LimitReachedError extends Error {
  override name = 'LimitReachedError';

  constructor(
    message: string,
    readonly policy: string,
    readonly quota: number,
    readonly retryAfterS: number,
    readonly windowS = retryAfterS,
  ) {
    super(message);
  }
}

/**
 * No such run or delivery for this caller (another caller's run is reported the same way: its
 * existence never leaks), or it is past its retention period.
 */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

/**
 * What was asked needs a running workflow's worker and none answered for it in time (all down,
 * restarting or overloaded), or the one that got it failed the workflow task that carried it, so
 * nothing was recorded: retrying shortly is worth it, as for an unreachable Temporal.
 */
export class NoWorkerAnsweredError extends Error {
  override name = 'NoWorkerAnsweredError';
}

/** The run already ended, so it can no longer be changed (cancelled, for one). */
export class RunEndedError extends Error {
  override name = 'RunEndedError';

  constructor(
    readonly runId: string,
    readonly status: string,
  ) {
    super(`Run ${runId} already ended as ${status}.`);
  }
}

/**
 * The run did not take an answer to its input step: it does not wait for that step
 * (`input_not_pending`), or another answer won (`input_already_provided`).
 */
export class InputRefusedError extends Error {
  override name = 'InputRefusedError';

  constructor(
    readonly code: 'input_not_pending' | 'input_already_provided',
    message: string,
    readonly runId: string,
    /** For input_already_provided: who gave the answer that won (`caller` or `link`), when known. */
    readonly answeredBy?: string,
  ) {
    super(message);
  }
}
