import type { Middleware } from 'koa';
import { ApiError } from '../problem.js';

/**
 * Mounted just before a router's `allowedMethods()`: turns its answer to a known path asked with a
 * method no route there serves into problem+json — 405 method_not_allowed, keeping the `Allow` header
 * (RFC 9110) the router computed from the routes at that path. OPTIONS keeps the router's own answer.
 */
export function methodNotAllowed(): Middleware {
  return async function methodNotAllowed(ctx, next) {
    await next();
    // The router answers 501 for methods it has no routes for at all (TRACE, CONNECT): to a client the
    // resource exists and that method is not allowed on it, like any other.
    if ((ctx.status !== 405 && ctx.status !== 501) || ctx.body != null) return;
    const allow = ctx.response.get('allow');
    // No route at this path at all (only path-less middleware matched): not found, like any unknown path.
    if (allow === '') {
      ctx.remove('allow');
      ctx.status = 404;
      return;
    }
    throw new ApiError('method_not_allowed', 'This route does not support that method; see the Allow header and /openapi.json.', { headers: { allow } });
  };
}
