import type { Middleware } from 'koa';
import { UnreadableRecordError, ensureError } from '../../errors.js';
import { InvalidCursorError } from '../../runs/cursor.js';
import { InputRefusedError, LimitReachedError, NoWorkerAnsweredError, NotFoundError, RunEndedError, RunRequestError } from '../../runs/errors.js';
import type { Logger } from '../../logger.js';
import { isTemporalUnreachable } from '../../temporal/errors.js';
import { ApiError, problemBody } from '../problem.js';
import { HEADER } from '../wire.js';
import { rateLimitHeaders } from './rate-limit.js';

/**
 * The one place errors become responses: ApiErrors as their problem document, Temporal being
 * unreachable as 503, anything else as a 500 whose body says nothing about internals.
 */
export function problems(log: Logger): Middleware {
  return async function problems(ctx, next) {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw new ApiError('not_found', `No route for ${ctx.method} ${ctx.path}.`);
    } catch (thrown) {
      const apiError = toApiError(thrown);
      if (apiError.status >= 500) log.error({ err: ensureError(thrown), request_id: ctx.state.requestId, path: ctx.path }, 'request failed');
      const { headers = {}, ...extras } = apiError.extras;
      ctx.set(headers);
      ctx.status = apiError.status;
      ctx.type = 'application/problem+json';
      ctx.body = problemBody(apiError.code, apiError.detail, ctx.state.requestId as string, extras);
    }
  };
}

function toApiError(thrown: unknown): ApiError {
  if (thrown instanceof ApiError) return thrown;
  if (thrown instanceof RunRequestError) return new ApiError(thrown.code, thrown.message, thrown.details);
  if (thrown instanceof NotFoundError) return new ApiError('not_found', thrown.message);
  if (thrown instanceof InputRefusedError) return new ApiError(thrown.code, thrown.message, { run_id: thrown.runId, ...(thrown.answeredBy && { answered_by: thrown.answeredBy }) });
  if (thrown instanceof RunEndedError) return new ApiError('run_ended', thrown.message, { run_id: thrown.runId });
  if (thrown instanceof LimitReachedError) {
    const { policy, quota, retryAfterS, windowS } = thrown;
    return new ApiError('rate_limited', thrown.message, {
      headers: { ...rateLimitHeaders(policy, quota, windowS, 0, retryAfterS), [HEADER.retryAfter]: String(retryAfterS) },
    });
  }
  if (thrown instanceof InvalidCursorError) {
    return new ApiError('validation_failed', 'The request query is not valid.', { errors: [{ path: 'query.cursor', message: thrown.message }] });
  }
  if (thrown instanceof UnreadableRecordError) return new ApiError('unreadable_record', thrown.message);
  if (thrown instanceof NoWorkerAnsweredError) return new ApiError('unavailable', thrown.message, { headers: { [HEADER.retryAfter]: '5' } });
  if (isTemporalUnreachable(thrown)) {
    return new ApiError('unavailable', 'The workflow engine is not reachable right now. Retry shortly.', { headers: { [HEADER.retryAfter]: '5' } });
  }
  return new ApiError('internal', 'Something went wrong on our side. Retry, and quote the request_id if it persists.');
}
