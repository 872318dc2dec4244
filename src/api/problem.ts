import type { FieldProblem } from '../runs/errors.js';
import type { RunErrorCode } from '../workflows/types.js';

/**
 * Every error code the API answers with, its HTTP status and title. Clients switch on `code`; the
 * README's error table lists the same codes.
 */
export const PROBLEMS = {
  malformed_json: { status: 400, title: 'Malformed JSON' },
  invalid_request: { status: 400, title: 'Invalid request' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  budget_exceeded: { status: 402, title: 'Budget exceeded' },
  forbidden: { status: 403, title: 'Forbidden' },
  not_found: { status: 404, title: 'Not found' },
  chain_not_found: { status: 404, title: 'Chain not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  run_ended: { status: 409, title: 'Run already ended' },
  run_not_ended: { status: 409, title: 'Run not ended yet' },
  cancelled: { status: 409, title: 'Run cancelled' },
  orphaned: { status: 409, title: 'Run cancelled as orphaned' },
  input_not_pending: { status: 409, title: 'Run not waiting for this input' },
  input_already_provided: { status: 409, title: 'Input already provided' },
  input_timeout: { status: 409, title: 'Input step timed out' },
  request_timeout: { status: 408, title: 'Request timeout' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  validation_failed: { status: 422, title: 'Validation failed' },
  idempotency_conflict: { status: 422, title: 'Idempotency key reused with a different request' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal error' },
  unreadable_record: { status: 500, title: 'Stored record unreadable' },
  agent_failed: { status: 502, title: 'Agent failed' },
  unavailable: { status: 503, title: 'Service unavailable' },
  chain_unavailable: { status: 503, title: 'Chain unavailable' },
  wait_timeout: { status: 504, title: 'Run still running' },
  chain_timeout: { status: 504, title: 'Chain timed out' },
} as const satisfies Record<string, { status: number; title: string }> & Record<RunErrorCode, unknown>;

export type ProblemCode = keyof typeof PROBLEMS;

export type { FieldProblem } from '../runs/errors.js';

/** Extra members a problem may carry; `headers` are sent, not serialised. */
export interface ProblemExtras {
  run_id?: string;
  poll_url?: string;
  agent?: string;
  errors?: FieldProblem[];
  headers?: Record<string, string>;
  [member: string]: unknown;
}

/** An error the API answers with as application/problem+json (RFC 9457). */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;

  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly extras: ProblemExtras = {},
  ) {
    super(detail);
    this.status = PROBLEMS[code].status;
  }
}

/** The problem document for a code; `type` points at the error table in the docs. */
export function problemBody(code: ProblemCode, detail: string, requestId: string, extras: Omit<ProblemExtras, 'headers'> = {}) {
  const { status, title } = PROBLEMS[code];
  return { type: `/docs#error-${code}`, title, status, detail, code, request_id: requestId, ...extras };
}
