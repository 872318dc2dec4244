import type { Context } from 'koa';
import { listFailedDeliveries, readDelivery } from '../../runs/deliveries.js';
import { resendDelivery, runDeliveryIds } from '../../runs/resend.js';
import type { DeliveryRecord } from '../../workflows/types.js';
import type { ApiDeps } from '../deps.js';
import { defineRoute, type RouteSpec } from '../route.js';
import { deliveryListSchema, deliveryParams, deliverySchema, pageQuery, runIdParam } from '../schemas.js';
import { HEADER, runUrl } from '../wire.js';

export function webhookRoutes(deps: ApiDeps): RouteSpec[] {
  /** 202 with where the run's deliveries are listed: the redelivery goes on in its own workflow. */
  async function resend(ctx: Context, runId: string, which: string | 'newest'): Promise<DeliveryRecord> {
    const record = await resendDelivery(deps.client, deps.config, ctx.state.caller.id, runId, which);
    ctx.status = 202;
    ctx.set(HEADER.location, `${runUrl(runId)}/deliveries`);
    return record;
  }

  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/runs/:run_id/deliveries',
      operationId: 'listDeliveries',
      summary: "A run's webhook deliveries, with every attempt",
      tag: 'webhooks',
      params: runIdParam,
      responses: {
        200: { description: 'Deliveries, oldest first', schema: deliveryListSchema, provides: { run_id: '$request.path.run_id', delivery_id: '$response.body#/data/0/delivery_id' } },
        404: { description: 'not_found' },
      },
      async handler(ctx, { params }) {
        const ids = await runDeliveryIds(deps.client, params.run_id, ctx.state.caller.id);
        const records = await Promise.all(ids.map((id) => readDelivery(deps.client, id)));
        ctx.body = { data: records.filter((r) => r !== undefined).map((r) => r.record), next_cursor: null };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/runs/:run_id/deliveries/:delivery_id/redeliver',
      operationId: 'redeliver',
      summary: 'Send a delivery again',
      description: 'Same webhook-id, fresh timestamp and signature; the attempts are added to the same delivery record. Works after the run ended, for the retention period, up to CHAINPORT_WEBHOOK_MAX_REDELIVERIES times per delivery.',
      tag: 'webhooks',
      params: deliveryParams,
      responses: { 202: { description: 'Redelivery started (or already under way)', schema: deliverySchema, headers: ['Location'] }, 404: { description: 'not_found' }, 429: { description: 'rate_limited: this delivery was redelivered the most times allowed, or too many of your deliveries are in progress' } },
      async handler(ctx, { params }) {
        ctx.body = await resend(ctx, params.run_id, params.delivery_id);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/runs/:run_id/webhook/resend',
      operationId: 'resendWebhook',
      summary: "Send a run's newest delivery again",
      tag: 'webhooks',
      params: runIdParam,
      responses: { 202: { description: 'Redelivery started (or already under way)', schema: deliverySchema, headers: ['Location'] }, 404: { description: 'not_found: no such run, or it has no delivery yet' }, 429: { description: 'rate_limited: redelivery limits reached' } },
      async handler(ctx, { params }) {
        ctx.body = await resend(ctx, params.run_id, 'newest');
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/webhooks/failed',
      operationId: 'listFailedDeliveries',
      summary: 'Your deliveries whose every attempt failed',
      description: 'A delivery leaves this list once a redelivery succeeds.',
      tag: 'webhooks',
      query: pageQuery,
      responses: { 200: { description: 'Failed deliveries, newest first', schema: deliveryListSchema }, 422: { description: 'validation_failed: a bad limit or cursor' } },
      async handler(ctx, { query }) {
        ctx.body = await listFailedDeliveries(deps.client, deps.config.temporal.namespace, ctx.state.caller.id, { ...query, cursorKey: deps.cursorKey });
      },
    }),
  ];
}
