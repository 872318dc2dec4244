import type { IncomingMessage } from 'node:http';
import type { Middleware } from 'koa';
import getRawBody from 'raw-body';
import { ApiError } from '../problem.js';
import { ensureError } from '../../errors.js';

/**
 * Reads a JSON request body up to `limit` bytes into ctx.request.body. An empty body reads as `{}`.
 * Oversized bodies are 413 payload_too_large, unparsable ones 400 malformed_json, other media 415; a
 * body not fully arrived after `timeoutMs` is 408 request_timeout and the connection is closed.
 */
export function jsonBody({ limit, timeoutMs }: { limit: number; timeoutMs: number }): Middleware {
  return async function jsonBody(ctx, next) {
    if (ctx.method !== 'POST' && ctx.method !== 'PUT' && ctx.method !== 'PATCH') return next();
    const declared = Number(ctx.get('content-length'));
    if (declared > limit) throw tooLarge(limit);
    let text: string;
    try {
      text = await readBody(ctx.req, limit, timeoutMs);
    } catch (err) {
      if (err instanceof BodyTimeout) {
        // The rest of the body may never come: the socket must not be kept for another request.
        throw new ApiError('request_timeout', `The request body did not arrive within ${timeoutMs} ms. Send it at once with the headers.`, {
          headers: { connection: 'close' },
        });
      }
      if ((err as { type?: string }).type === 'entity.too.large') throw tooLarge(limit);
      throw new ApiError('invalid_request', `Could not read the request body: ${ensureError(err).message}`);
    }
    if (text.trim() === '') {
      ctx.request.body = {};
      return next();
    }
    if (!ctx.is('application/json', 'application/*+json')) {
      throw new ApiError('unsupported_media_type', 'Send the body as JSON with Content-Type: application/json.');
    }
    try {
      ctx.request.body = JSON.parse(text) as unknown;
    } catch (err) {
      throw new ApiError('malformed_json', `The body is not valid JSON: ${ensureError(err).message}`);
    }
    // Everything after parsing (validation, fingerprints, cloning, payload encoding) walks the value
    // recursively: a body nested thousands deep would overflow the stack there, so it stops here.
    if (nestingDepth(ctx.request.body, MAX_DEPTH) > MAX_DEPTH) {
      throw new ApiError('validation_failed', `The body nests deeper than ${MAX_DEPTH} levels.`, { errors: [{ path: '', message: `nests deeper than ${MAX_DEPTH} levels` }] });
    }
    return next();
  };
}

class BodyTimeout extends Error {}

/** raw-body has no deadline of its own; the read is raced against one, and its later failure ignored. */
async function readBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<string> {
  const reading = getRawBody(req, { limit, encoding: 'utf8' });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new BodyTimeout()), timeoutMs)));
  try {
    return await Promise.race([reading, deadline]);
  } finally {
    clearTimeout(timer);
    reading.catch(() => undefined);
  }
}

function tooLarge(limit: number): ApiError {
  return new ApiError('payload_too_large', `The body is larger than ${limit} bytes.`);
}

declare module 'koa' {
  interface Request {
    body?: unknown;
  }
}

/** How deep a request body may nest objects and arrays. */
export const MAX_DEPTH = 64;

/** The nesting depth of a parsed JSON value, counted without recursion and only up to `stopAfter` + 1. */
function nestingDepth(value: unknown, stopAfter: number): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    deepest = Math.max(deepest, depth + 1);
    if (deepest > stopAfter) return deepest;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return deepest;
}
