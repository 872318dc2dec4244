import type { Middleware } from 'koa';
import getRawBody from 'raw-body';
import { ApiError } from '../problem.js';

/**
 * Reads a JSON request body up to `limit` bytes into ctx.request.body. An empty body reads as `{}`.
 * Oversized bodies are 413 payload_too_large, unparsable ones 400 malformed_json, other media 415.
 */
export function jsonBody({ limit }: { limit: number }): Middleware {
  return async function jsonBody(ctx, next) {
    if (ctx.method !== 'POST' && ctx.method !== 'PUT' && ctx.method !== 'PATCH') return next();
    const declared = Number(ctx.get('content-length'));
    if (declared > limit) throw tooLarge(limit);
    let text: string;
    try {
      text = await getRawBody(ctx.req, { limit, encoding: 'utf8' });
    } catch (err) {
      if ((err as { type?: string }).type === 'entity.too.large') throw tooLarge(limit);
      throw new ApiError('invalid_request', `Could not read the request body: ${(err as Error).message}`);
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
      throw new ApiError('malformed_json', `The body is not valid JSON: ${(err as Error).message}`);
    }
    return next();
  };
}

function tooLarge(limit: number): ApiError {
  return new ApiError('payload_too_large', `The body is larger than ${limit} bytes.`);
}

declare module 'koa' {
  interface Request {
    body?: unknown;
  }
}
