import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import { HEADER } from '../wire.js';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Gives every request an id (the caller's X-Request-Id when it is sane) and echoes it on the response. */
export function requestId(): Middleware {
  return async function requestId(ctx, next) {
    const given = ctx.get(HEADER.requestId);
    ctx.state.requestId = SAFE_ID.test(given) ? given : randomUUID();
    ctx.set(HEADER.requestId, ctx.state.requestId);
    await next();
  };
}
