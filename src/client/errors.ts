import type { ProblemCode } from '../api/problem.js';
import { HEADER } from '../api/wire.js';
import { retryAfterMs } from '../retry-after.js';
import type { Problem } from './types.js';

/**
 * The `code` of a ChainportError: one of the README's error table, or `unexpected_response` when the
 * answer was not a problem document (a proxy's HTML error page, a non-SSE answer to a stream). A newer
 * server may add codes, hence the open string.
 */
export type ChainportErrorCode = ProblemCode | 'unexpected_response' | (string & Record<never, never>);

/** The API answered with an error. Switch on `code`; `status` is the HTTP status. */
export class ChainportError extends Error {
  override name = 'ChainportError';
  readonly code: ChainportErrorCode;
  readonly status: number;
  /** The run the error is about, when one exists (e.g. `wait_timeout`, `agent_failed`, `run_ended`). */
  readonly runId: string | undefined;
  /** Seconds the server asked to wait before retrying (`Retry-After`), e.g. on `rate_limited`. */
  readonly retryAfter: number | undefined;
  /** The `X-Request-Id` to quote when reporting an `internal` error. */
  readonly requestId: string | undefined;
  /** The problem document as received, with `errors`, `agent` and `poll_url` when present. */
  readonly problem: Problem | undefined;

  constructor(init: { code: ChainportErrorCode; status: number; message: string; runId?: string; retryAfter?: number; requestId?: string; problem?: Problem }) {
    super(init.message);
    this.code = init.code;
    this.status = init.status;
    this.runId = init.runId;
    this.retryAfter = init.retryAfter;
    this.requestId = init.requestId;
    this.problem = init.problem;
  }
}

/** Reads an error response into a ChainportError; the body is consumed. */
export async function errorFromResponse(res: Response): Promise<ChainportError> {
  const text = await res.text().catch(() => '');
  const problem = parseProblem(text);
  const requestId = res.headers.get(HEADER.requestId) ?? problem?.request_id;
  const retryAfter = parseRetryAfter(res.headers.get(HEADER.retryAfter));
  if (!problem) {
    return new ChainportError({
      code: 'unexpected_response',
      status: res.status,
      message: `HTTP ${res.status} without a problem document: ${text.slice(0, 200)}`,
      retryAfter,
      requestId,
    });
  }
  return new ChainportError({ code: problem.code, status: res.status, message: problem.detail, runId: problem.run_id, retryAfter, requestId, problem });
}

/** A problem document, or undefined when the text is not one (only `code` and `detail` are relied on). */
function parseProblem(text: string): Problem | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const { code, detail } = body as Partial<Record<keyof Problem, unknown>>;
  return typeof code === 'string' && typeof detail === 'string' ? (body as Problem) : undefined;
}

/** `Retry-After` in whole seconds (see retryAfterMs); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  const ms = retryAfterMs(value, now);
  return ms === undefined ? undefined : Math.ceil(ms / 1000);
}
