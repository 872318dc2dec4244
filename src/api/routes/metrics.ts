import { timingSafeEqual } from 'node:crypto';
import { activeReaders, openStreams, registry, waitingRuns } from '../../metrics.js';
import { countWaitingRuns } from '../../runs/list.js';
import { sha256 } from '../callers.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../problem.js';
import { defineRoute, type RouteSpec } from '../route.js';

/** GET /metrics: Prometheus text. With CHAINPORT_METRICS_TOKEN set it needs that bearer token; API keys never open it. */
export function metricsRoutes(deps: ApiDeps): RouteSpec[] {
  const token = deps.config.metricsToken;
  return [
    defineRoute({
      method: 'get',
      path: '/metrics',
      operationId: 'metrics',
      summary: 'Prometheus metrics of this API instance',
      tag: 'operations',
      public: true,
      responses: { 200: { description: 'Prometheus text exposition format' }, 401: { description: 'unauthorized: CHAINPORT_METRICS_TOKEN is set and was not sent' } },
      async handler(ctx) {
        if (token !== undefined) {
          const presented = /^Bearer\s+(\S+)$/i.exec(ctx.get('authorization'))?.[1] ?? '';
          if (!timingSafeEqual(sha256(presented), sha256(token))) {
            throw new ApiError('unauthorized', 'Send the metrics token as Authorization: Bearer <CHAINPORT_METRICS_TOKEN>.', {
              headers: { 'www-authenticate': 'Bearer realm="metrics"' },
            });
          }
        }
        // The stream gauges are read from this instance's readers at scrape time.
        const streams = deps.readers.stats();
        openStreams.set(streams.openStreams);
        activeReaders.set(streams.activeReaders);
        // A scrape must not fail for want of visibility: the gauge keeps its last value then.
        await countWaitingRuns(deps.client).then((n) => waitingRuns.set(n), () => undefined);
        ctx.type = registry.contentType;
        ctx.body = await registry.metrics();
      },
    }),
  ];
}
