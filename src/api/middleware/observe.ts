import { trace } from '@opentelemetry/api';
import type { Context, Middleware } from 'koa';
import type { Logger } from '../../logger.js';
import { httpDuration, httpRequests } from '../../metrics.js';

/**
 * Counts and times every request by route pattern (never by raw path, so ids do not explode the
 * label set) and writes one access-log line with request_id, caller_id, run_id and, when traced,
 * trace_id. Keys, secrets and bodies are never logged.
 */
export function observe(log: Logger): Middleware {
  return async function observe(ctx, next) {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const route = routeOf(ctx);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      httpRequests.inc({ route, method: ctx.method, status: String(ctx.status) });
      httpDuration.observe({ route, method: ctx.method }, seconds);
      const runId = runIdOf(ctx);
      log[ctx.status >= 500 ? 'error' : 'info'](
        {
          request_id: ctx.state.requestId,
          caller_id: ctx.state.caller?.id,
          run_id: runId,
          // With tracing on: the request's trace, to go from this line to the run's spans.
          trace_id: trace.getActiveSpan()?.spanContext().traceId,
          method: ctx.method,
          route,
          status: ctx.status,
          duration_ms: Math.round(seconds * 1000),
        },
        'request',
      );
    }
  };
}

/** The run a request named in its path or started (its response's run_id), once the request is answered. */
export function runIdOf(ctx: Context): string | undefined {
  const runId = ctx.params?.run_id ?? (ctx.body as { run_id?: unknown } | undefined)?.run_id;
  return typeof runId === 'string' ? runId : undefined;
}

/** The route pattern the router matched, once routed; `unmatched` before or without a match. */
export function routeOf(ctx: Context): string {
  return (ctx as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
}

declare module 'koa' {
  interface ExtendableContext {
    params?: Record<string, string | undefined>;
  }
}
