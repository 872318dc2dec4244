import type { Layer, Router } from '@koa/router';
import type { Middleware } from 'koa';
import { ApiError } from '../problem.js';
import type { RouteSpec } from '../route.js';

/**
 * The methods a router serves at a path, as an `Allow` header value. The router matches paths by their
 * shape only, so `/api/v1/runs/rerun` also matches `GET /api/v1/runs/:run_id`; a route whose params
 * schema refuses the path does not serve it, and its methods are left out.
 */
export function allowedMethods(router: Router, routes: readonly RouteSpec[]): (path: string) => string {
  const paramsOf = new Map(routes.map((route) => [`${route.method.toUpperCase()} ${route.path}`, route.params]));
  const serves = (layer: Layer, path: string) => {
    const params = layer.methods.map((method) => paramsOf.get(`${method} ${String(layer.path)}`)).find((schema) => schema !== undefined);
    return !params || params.safeParse(layer.params(path, layer.captures(path))).success;
  };
  return (path) => {
    const matched = router.match(path, 'GET').path;
    const serving = matched.filter((layer) => serves(layer, path));
    // When no route serves the path (a malformed id), its shape still says which methods it has.
    return [...new Set((serving.length ? serving : matched).flatMap((layer) => layer.methods))].join(', ');
  };
}

/** 405 method_not_allowed as problem+json, with the methods the path does serve. */
export function methodNotAllowedError(allow: string): ApiError {
  return new ApiError('method_not_allowed', 'This route does not support that method; see the Allow header and /openapi.json.', { headers: { allow } });
}

/**
 * Mounted just before a router's `allowedMethods()`: corrects the `Allow` header the router computed
 * (for OPTIONS and 405, see allowedMethods) and turns a 405 into problem+json — method_not_allowed,
 * keeping that header (RFC 9110).
 */
export function methodNotAllowed(allowedAt: (path: string) => string): Middleware {
  return async function methodNotAllowed(ctx, next) {
    await next();
    if (!ctx.response.get('allow')) return;
    const allow = allowedAt(ctx.path);
    ctx.set('allow', allow);
    // The router answers 501 for methods it has no routes for at all (TRACE, CONNECT): to a client the
    // resource exists and that method is not allowed on it, like any other.
    if ((ctx.status !== 405 && ctx.status !== 501) || ctx.body != null) return;
    // No route at this path at all (only path-less middleware matched): not found, like any unknown path.
    if (allow === '') {
      ctx.remove('allow');
      ctx.status = 404;
      return;
    }
    throw methodNotAllowedError(allow);
  };
}
