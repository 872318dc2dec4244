import cors from '@koa/cors';
import Router from '@koa/router';
import Koa from 'koa';
import { allowedMethods, methodNotAllowed } from './middleware/allowed-methods.js';
import { auth } from './middleware/auth.js';
import { jsonBody } from './middleware/body.js';
import { observe } from './middleware/observe.js';
import { problems } from './middleware/problem.js';
import { rateLimit } from './middleware/rate-limit.js';
import { requestId } from './middleware/request-id.js';
import { traceRequests } from './middleware/trace.js';
import type { ApiDeps } from './deps.js';
import { rateLimitRejections } from '../metrics.js';
import { mount, type RouteSpec } from './route.js';
import { chainRoutes } from './routes/chains.js';
import { demoRoutes } from './routes/demo.js';
import { mountDocs } from './routes/docs.js';
import { mountPlayground } from './routes/playground.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { runRoutes } from './routes/runs.js';
import { inputRoutes } from './routes/input.js';
import { streamRoutes } from './routes/stream.js';
import { rerunRoutes } from './routes/rerun.js';
import { webhookRoutes } from './routes/webhooks.js';
import { API_PREFIX, HEADER } from './wire.js';

/** Every declared route, public and authenticated; the OpenAPI document is generated from this list. */
export function allRoutes(deps: ApiDeps): RouteSpec[] {
  return [...healthRoutes(deps), ...metricsRoutes(deps), ...chainRoutes(deps), ...runRoutes(deps), ...inputRoutes(deps), ...rerunRoutes(deps), ...streamRoutes(deps), ...webhookRoutes(deps), ...demoRoutes()];
}

const CLIENT_GONE = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/**
 * The Koa app: middleware and routes wired to their dependencies. It binds no port — server.ts
 * listens; tests drive it over a real socket on port 0.
 */
export function createApp(deps: ApiDeps): Koa {
  const app = new Koa({ proxy: false });
  // Errors past the problem middleware: mostly a client that hung up mid-request, which is no fault of ours.
  app.on('error', (err: NodeJS.ErrnoException) => deps.log[CLIENT_GONE.has(err.code ?? '') ? 'debug' : 'error']({ err }, 'connection error'));
  const routes = allRoutes(deps);
  const readBody = jsonBody({ limit: deps.config.api.maxBodyBytes, timeoutMs: deps.config.api.timeouts.bodyMs });
  const publicRouter = new Router();
  const publicAllowed = allowedMethods(publicRouter, routes);
  mount(publicRouter, routes.filter((r) => r.public), readBody, publicAllowed);
  mountDocs(publicRouter, routes, deps.version);
  mountPlayground(publicRouter, deps.devKey);
  const apiRouter = new Router();
  const apiAllowed = allowedMethods(apiRouter, routes);
  mount(apiRouter, routes.filter((r) => !r.public), readBody, apiAllowed);

  // First, so the span covers every other middleware; only with tracing on (OTEL_EXPORTER_OTLP_ENDPOINT).
  if (deps.config.tracing) app.use(traceRequests({ untracedPaths: routes.filter((r) => r.tag === 'operations').map((r) => r.path) }));
  app.use(
    cors({
      origin: (ctx) => {
        const origin = ctx.get('origin');
        return deps.config.api.corsOrigins.includes('*') || deps.config.api.corsOrigins.includes(origin) ? origin : '';
      },
      exposeHeaders: [HEADER.location, HEADER.retryAfter, HEADER.rateLimit, HEADER.rateLimitPolicy, HEADER.requestId],
      allowHeaders: ['authorization', 'content-type', HEADER.idempotencyKey, HEADER.lastEventId, HEADER.requestId],
      allowMethods: ['GET', 'POST', 'OPTIONS'],
      keepHeadersOnError: true,
      maxAge: 600,
    }),
  );
  app.use(requestId());
  app.use(observe(deps.log));
  app.use(problems(deps.log));
  app.use(publicRouter.routes());
  app.use(methodNotAllowed(publicAllowed));
  app.use(publicRouter.allowedMethods());
  app.use(apiPathsOnly);
  app.use(auth(deps.callers, deps.streamTokens, deps.limiters.failedAuth(deps.config.api.authFailuresPerMin), () => rateLimitRejections.inc({ limit: 'failed-auth' })));
  app.use(rateLimit(deps.limiters, () => rateLimitRejections.inc({ limit: 'requests' })));
  app.use(apiRouter.routes());
  app.use(methodNotAllowed(apiAllowed));
  app.use(apiRouter.allowedMethods());
  return app;
}

/**
 * Past the public routes, only API paths go on to authentication, rate limits and the API routes;
 * anything else ends here as the problem middleware's 404. Bodies are read by the routes themselves
 * (see mount): a public route's without a key, an API route's only after authentication and rate limits.
 */
async function apiPathsOnly(ctx: Koa.Context, next: Koa.Next): Promise<void> {
  if (ctx.path === API_PREFIX || ctx.path.startsWith(`${API_PREFIX}/`)) await next();
}
