import { HEADER } from '../api/wire.js';
import { NonRetryableAgentError, RetryableAgentError, type AgentError } from '../errors.js';
import { retryAfterMs } from '../retry-after.js';

/** Failures a chain may fall back on (`fallback_on`); also exactly those another attempt may cure. */
export const FALLBACK_CLASSES = ['rate_limited', 'server_error', 'timeout', 'overloaded'] as const;
export type FallbackClass = (typeof FALLBACK_CLASSES)[number];

/** How one model call failed: a fallback class, or the request's own fault (`rejected`: other 4xx, auth) or a refusal. */
export type FailureClass = FallbackClass | 'rejected' | 'content_filter';

export interface ModelFailure {
  class: FailureClass;
  message: string;
  /** From the answer's retry-after, when positive. */
  retryAfterMs?: number;
}

/** Anthropic's "overloaded" status; other providers say 503. */
const OVERLOADED_STATUS = 529;
const TIMEOUT_STATUS = new Set([408, 504]);

/**
 * Classifies what a model call threw: an HTTP error answer (the AI SDK's APICallError), an error event
 * inside the stream (its provider stream errors), a timeout, or — with no status at all — a network
 * error or a stream cut off, which are server errors. Both AI SDK shapes carry `statusCode` (and an
 * answer its `responseHeaders`): read as fields, so classifying loads no SDK. Cancellation is not a
 * failure and must be handled before.
 */
export function classifyFailure(err: unknown, model: string): ModelFailure {
  const status = statusOf(err);
  const type = isRecord(err) && typeof err.type === 'string' ? err.type : undefined;
  const detail = err instanceof Error || isRecord(err) ? String((err as { message?: unknown }).message ?? '') : String(err);
  const message = `${model} failed${status ? ` with ${status}` : ''}: ${detail}`;
  const retryAfter = retryAfterMs(headerOf(err, HEADER.retryAfter)) || undefined;
  const failure = (cls: FailureClass): ModelFailure => ({ class: cls, message, ...(retryAfter && { retryAfterMs: retryAfter }) });
  if (status === OVERLOADED_STATUS || type === 'overloaded_error') return failure('overloaded');
  if (status === 429) return failure('rate_limited');
  if ((status !== undefined && TIMEOUT_STATUS.has(status)) || (err instanceof Error && err.name === 'TimeoutError')) return failure('timeout');
  if (status !== undefined && status >= 400 && status < 500) return failure('rejected');
  return failure('server_error');
}

/** The agent error that ends the attempt with `failure`: retryable exactly for the fallback classes. */
export function toAgentError(failure: ModelFailure): AgentError {
  if ((FALLBACK_CLASSES as readonly string[]).includes(failure.class)) return new RetryableAgentError(failure.message, `llm_${failure.class}`, failure.retryAfterMs);
  return new NonRetryableAgentError(failure.message, `llm_${failure.class}`);
}

function statusOf(err: unknown): number | undefined {
  return isRecord(err) && typeof err.statusCode === 'number' ? err.statusCode : undefined;
}

function headerOf(err: unknown, name: string): string | undefined {
  const headers = isRecord(err) && isRecord(err.responseHeaders) ? err.responseHeaders : undefined;
  const value = headers?.[name];
  return typeof value === 'string' ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
