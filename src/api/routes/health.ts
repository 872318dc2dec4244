import type { ApiDeps } from '../deps.js';
import { defineRoute, type RouteSpec } from '../route.js';
import { healthSchema, readySchema } from '../schemas.js';

const READY_DEADLINE_MS = 2_000;
/** /readyz is public: one Temporal call per second at most, however often it is hit. */
const READY_CACHE_MS = 1_000;

/**
 * Whether Temporal answers and a worker polls the workflow task queue, checked at most once per
 * READY_CACHE_MS (concurrent hits share one check). Why it is not ready goes to the log, never to the
 * anonymous caller.
 */
function readinessCheck(deps: ApiDeps): () => Promise<boolean> {
  let cached: { at: number; ready: Promise<boolean> } | undefined;
  const check = async (): Promise<boolean> => {
    try {
      const { pollers } = await deps.client.connection.withDeadline(Date.now() + READY_DEADLINE_MS, () =>
        deps.client.workflowService.describeTaskQueue({
          namespace: deps.config.temporal.namespace,
          taskQueue: { name: deps.config.temporal.taskQueue },
          taskQueueType: 1, // workflow task queue: a worker polling it can run chains
        }),
      );
      if (pollers && pollers.length > 0) return true;
      deps.log.warn({ taskQueue: deps.config.temporal.taskQueue }, 'not ready: no worker polls the task queue');
    } catch (err) {
      deps.log.warn({ err }, 'not ready: Temporal unreachable');
    }
    return false;
  };
  return () => {
    const now = Date.now();
    if (!cached || now - cached.at >= READY_CACHE_MS) cached = { at: now, ready: check() };
    return cached.ready;
  };
}

export function healthRoutes(deps: ApiDeps): RouteSpec[] {
  const ready = readinessCheck(deps);
  return [
    defineRoute({
      method: 'get',
      path: '/healthz',
      operationId: 'health',
      summary: 'Liveness: the process is up',
      tag: 'operations',
      public: true,
      responses: { 200: { description: 'Up', schema: healthSchema } },
      async handler(ctx) {
        ctx.body = { status: 'ok' };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/readyz',
      operationId: 'ready',
      summary: 'Readiness: Temporal reachable and a worker polling the task queue (checked at most once a second; reasons are logged)',
      tag: 'operations',
      public: true,
      responses: { 200: { description: 'Ready', schema: readySchema }, 503: { description: 'Not ready', schema: readySchema, contentType: 'application/json' } },
      async handler(ctx) {
        const isReady = await ready();
        ctx.status = isReady ? 200 : 503;
        ctx.body = { status: isReady ? 'ready' : 'not_ready' };
      },
    }),
  ];
}
