import { isGrpcServiceError } from '@temporalio/client';
import { NamespaceNotFoundError } from '@temporalio/common';
import type { Middleware } from 'koa';
import { ensureError } from '../../errors.js';
import { InvalidCursorError } from '../../runs/cursor.js';
import type { Logger } from '../../logger.js';
import { ApiError, problemBody } from '../problem.js';

const GRPC_CANCELLED = 1;
const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;

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
  if (thrown instanceof InvalidCursorError) {
    return new ApiError('validation_failed', 'The request query is not valid.', { errors: [{ path: 'query.cursor', message: thrown.message }] });
  }
  if (isTemporalUnreachable(thrown)) {
    return new ApiError('unavailable', 'The workflow engine is not reachable right now. Retry shortly.', { headers: { 'retry-after': '5' } });
  }
  return new ApiError('internal', 'Something went wrong on our side. Retry, and quote the request_id if it persists.');
}

function isTemporalUnreachable(thrown: unknown): boolean {
  for (let err: unknown = thrown; err instanceof Error; err = err.cause) {
    // A restarting server cuts calls in flight ("Call cancelled"); callers should retry like any outage.
    if (isGrpcServiceError(err) && [GRPC_UNAVAILABLE, GRPC_DEADLINE_EXCEEDED, GRPC_CANCELLED].includes(err.code)) return true;
    if (/ECONNREFUSED|Failed to connect|transport error/i.test(err.message)) return true;
    // The service's namespace exists (workers and start-up check it): a Temporal server that cannot
    // read its database (PostgreSQL restarting) answers "namespace not found" for it meanwhile.
    if (err instanceof NamespaceNotFoundError) return true;
  }
  return false;
}
