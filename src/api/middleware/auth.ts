import type { Middleware } from 'koa';
import { findCaller, type Caller } from '../callers.js';
import { ApiError } from '../problem.js';
import { HEADER } from '../wire.js';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** Requires `Authorization: Bearer <key>` and puts the matching caller on ctx.state.caller. */
export function auth(callers: readonly Caller[]): Middleware {
  return async function auth(ctx, next) {
    const match = BEARER.exec(ctx.get(HEADER.authorization));
    const caller = match ? findCaller(callers, match[1]!) : undefined;
    if (!caller) {
      throw new ApiError('unauthorized', match ? 'The API key is not valid.' : 'Send your API key as Authorization: Bearer <key>.', {
        headers: { 'www-authenticate': 'Bearer realm="chainport"' },
      });
    }
    ctx.state.caller = caller;
    await next();
  };
}

declare module 'koa' {
  interface DefaultState {
    caller: Caller;
    requestId: string;
  }
}
