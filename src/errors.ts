// The error taxonomy. Each error has a stable `code` callers and operators can rely on; whether a retry
// helps is part of the type, never guessed from a message.

/** Turns anything thrown into an Error, keeping Errors as they are. */
export function ensureError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === 'string' ? thrown : `Non-error thrown: ${safeJson(thrown)}`);
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * A record Temporal holds for us (a memo, a query answer, an input) does not fit the schema this
 * version writes it with: another version of the service wrote it. Names the record and the fields.
 */
export class UnreadableRecordError extends Error {
  override name = 'UnreadableRecordError';
  constructor(
    readonly record: string,
    readonly fields: string,
  ) {
    super(`${record} is stored in a shape this version of Chainport cannot read (${fields}); another version wrote it.`);
  }
}

/** An agent failed. `retryable` says whether another attempt can succeed; `retryAfterMs` overrides the backoff. */
export abstract class AgentError extends Error {
  abstract readonly retryable: boolean;
  constructor(
    message: string,
    readonly code: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** A transient failure: a 5xx, a dropped connection, a rate limit. The agent's retry policy applies. */
export class RetryableAgentError extends AgentError {
  override name = 'RetryableAgentError';
  readonly retryable = true;
}

/** A failure no retry can fix: bad configuration, a 4xx, a deliberate `fail`. The run fails at once. */
export class NonRetryableAgentError extends AgentError {
  override name = 'NonRetryableAgentError';
  readonly retryable = false;
}
