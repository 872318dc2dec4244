import type { ApiDeps } from '../deps.js';
import { defineRoute, type RouteSpec } from '../route.js';
import { healthSchema } from '../schemas.js';

const READY_DEADLINE_MS = 2_000;

export function healthRoutes(deps: ApiDeps): RouteSpec[] {
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
      summary: 'Readiness: Temporal reachable and a worker polling the task queue',
      tag: 'operations',
      public: true,
      responses: { 200: { description: 'Ready', schema: healthSchema }, 503: { description: 'Not ready', schema: healthSchema, contentType: 'application/json' } },
      async handler(ctx) {
        const checks: Record<string, string> = {};
        try {
          const { pollers } = await deps.client.connection.withDeadline(Date.now() + READY_DEADLINE_MS, () =>
            deps.client.workflowService.describeTaskQueue({
              namespace: deps.config.temporal.namespace,
              taskQueue: { name: deps.config.temporal.taskQueue },
              taskQueueType: 1, // workflow task queue: a worker polling it can run chains
            }),
          );
          checks.temporal = 'ok';
          checks.worker = pollers && pollers.length > 0 ? 'ok' : `no worker polling task queue "${deps.config.temporal.taskQueue}"`;
        } catch (err) {
          checks.temporal = `unreachable: ${(err as Error).message.split('\n')[0]}`;
          checks.worker = 'unknown';
        }
        const ready = Object.values(checks).every((v) => v === 'ok');
        ctx.status = ready ? 200 : 503;
        ctx.body = { status: ready ? 'ok' : 'unavailable', checks };
      },
    }),
  ];
}
