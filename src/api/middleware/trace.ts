import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Middleware } from 'koa';
import { ATTR, TRACER_NAME } from '../../telemetry/attributes.js';
import { failSpan } from '../../telemetry/fail-span.js';
import { routeOf, runIdOf } from './observe.js';

/**
 * Wraps every request in a server span (`POST /api/v1/chains/:chain`), continuing the caller's trace
 * when it sends a W3C traceparent. Everything the request does — a workflow start, queries — happens
 * inside it, so a run's trace starts at the request that started it. Records the route pattern and
 * the path, never the query (stream tokens travel there); 5xx answers mark the span failed. Requests
 * to `untracedPaths` (health probes, metric scrapes: a trace every few seconds that says nothing) get none.
 */
export function traceRequests({ untracedPaths = [] }: { untracedPaths?: readonly string[] } = {}): Middleware {
  const tracer = trace.getTracer(TRACER_NAME);
  const untraced = new Set(untracedPaths);
  return async function traceRequests(ctx, next) {
    if (untraced.has(ctx.path)) return next();
    const parent = propagation.extract(context.active(), ctx.headers);
    const span = tracer.startSpan(
      ctx.method,
      { kind: SpanKind.SERVER, attributes: { [ATTR.httpRequestMethod]: ctx.method, [ATTR.urlPath]: ctx.path, [ATTR.urlScheme]: ctx.protocol } },
      parent,
    );
    try {
      await context.with(trace.setSpan(parent, span), next);
    } catch (err) {
      // The problem middleware answers nearly everything; what reaches here fails the request.
      failSpan(span, err);
      throw err;
    } finally {
      const route = routeOf(ctx);
      span.updateName(`${ctx.method} ${route}`);
      span.setAttribute(ATTR.httpRoute, route);
      span.setAttribute(ATTR.httpResponseStatusCode, ctx.status);
      const runId = runIdOf(ctx);
      if (runId) span.setAttribute(ATTR.runId, runId);
      if (ctx.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
  };
}
