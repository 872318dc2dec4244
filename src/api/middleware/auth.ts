import type { Context, Middleware } from 'koa';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { findCaller, type Caller, type CallerRegistry } from '../callers.js';
import { ApiError } from '../problem.js';
import type { StreamTokens } from '../stream-tokens.js';
import { HEADER } from '../wire.js';
import { overQuota } from './rate-limit.js';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

const EVENTS_PATH = /^\/api\/v1\/runs\/([^/]+)\/events$/;

/**
 * Requires `Authorization: Bearer <key>` and puts the matching caller on ctx.state.caller. The one
 * exception: GET /runs/{id}/events also accepts `?stream_token=` (see StreamTokens), because browsers'
 * EventSource cannot send headers — and API keys never go in URLs.
 *
 * Failed attempts are counted per client address (`failures`, a per-minute quota). An address that
 * used up its quota is answered 429 without its key being checked, until the minute passes — checking
 * it would tell a guesser which guess was right. Successful attempts never count.
 */
export function auth(callers: CallerRegistry, streamTokens: StreamTokens, failures: RateLimiterAbstract, onThrottle: () => void = () => undefined): Middleware {
  return async function auth(ctx, next) {
    const failed = await failures.get(ctx.ip);
    if (failed && failed.consumedPoints >= failures.points) {
      onThrottle();
      throw overQuota('failed-auth', failures.points, failed.msBeforeNext, `More than ${failures.points} failed authentications from your address in a minute.`);
    }
    const match = BEARER.exec(ctx.get(HEADER.authorization));
    const caller = match ? findCaller(callers.list(), match[1]!) : streamTokenCaller(ctx, callers.list(), streamTokens);
    if (!caller) {
      await failures.consume(ctx.ip).catch((rejection: unknown) => {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
      });
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
