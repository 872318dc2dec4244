import type { Context, Middleware } from 'koa';
import { findCaller, type Caller } from '../callers.js';
import { ApiError } from '../problem.js';
import type { StreamTokens } from '../stream-tokens.js';
import { HEADER } from '../wire.js';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

const EVENTS_PATH = /^\/api\/v1\/runs\/([^/]+)\/events$/;

/**
 * Requires `Authorization: Bearer <key>` and puts the matching caller on ctx.state.caller. The one
 * exception: GET /runs/{id}/events also accepts `?stream_token=` (see StreamTokens), because browsers'
 * EventSource cannot send headers — and API keys never go in URLs.
 */
export function auth(callers: readonly Caller[], streamTokens: StreamTokens): Middleware {
  return async function auth(ctx, next) {
    const match = BEARER.exec(ctx.get(HEADER.authorization));
    const caller = match ? findCaller(callers, match[1]!) : streamTokenCaller(ctx, callers, streamTokens);
    if (!caller) {
      throw new ApiError('unauthorized', match ? 'The API key is not valid.' : 'Send your API key as Authorization: Bearer <key>.', {
        headers: { 'www-authenticate': 'Bearer realm="chainport"' },
      });
    }
    ctx.state.caller = caller;
    await next();
  };
}

function streamTokenCaller(ctx: Context, callers: readonly Caller[], streamTokens: StreamTokens): Caller | undefined {
  const token = ctx.query.stream_token;
  const runId = EVENTS_PATH.exec(ctx.path)?.[1];
  if (ctx.method !== 'GET' || typeof token !== 'string' || !runId) return undefined;
  const callerId = streamTokens.verify(token, runId);
  return callers.find((c) => c.id === callerId);
}

declare module 'koa' {
  interface DefaultState {
    caller: Caller;
    requestId: string;
  }
}
