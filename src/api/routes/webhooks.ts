import type { Context } from 'koa';
import { rateLimitRejections } from '../../metrics.js';
import { countOpenDeliveries, listFailedDeliveries, readDelivery, redeliver } from '../../runs/deliveries.js';
import { readRun } from '../../runs/read.js';
import type { DeliveryRecord } from '../../workflows/types.js';
import type { ApiDeps } from '../deps.js';
import { rateLimitHeaders } from '../middleware/rate-limit.js';
import { ApiError } from '../problem.js';
import { defineRoute, type RouteSpec } from '../route.js';
import { deliveryListSchema, deliveryParams, deliverySchema, pageQuery, runIdParam } from '../schemas.js';
import { HEADER, runUrl } from '../wire.js';

/** The caller's run's delivery ids, oldest first; 404 when the run is not theirs. */
async function deliveryIds(deps: ApiDeps, ctx: Context, runId: string): Promise<string[]> {
  const snapshot = await readRun(deps.client, runId, ctx.state.caller.id);
  if (!snapshot) throw new ApiError('not_found', `No run ${runId}.`);
  return snapshot.state.deliveries ?? [];
}

async function resend(deps: ApiDeps, ctx: Context, runId: string, deliveryId: string): Promise<DeliveryRecord> {
  const found = await readDelivery(deps.client, deliveryId);
  if (!found) throw new ApiError('not_found', `Delivery ${deliveryId} is past its retention period.`);
  const { maxRedeliveries, maxOpenPerCaller } = deps.config.webhooks;
  const open = await countOpenDeliveries(deps.client, ctx.state.caller.id);
  if (open >= maxOpenPerCaller) {
    throw limited(`You have ${open} webhook deliveries in progress (limit ${maxOpenPerCaller}). Redeliver once some have finished.`, 'open-deliveries', maxOpenPerCaller, 30);
  }
  const result = await redeliver(deps.client, deps.config.temporal, found, maxRedeliveries);
  if (result.outcome === 'limit_reached') {
    throw limited(`Delivery ${deliveryId} has been redelivered ${result.count} times, the most allowed (${maxRedeliveries}).`, 'redeliveries', maxRedeliveries, 3600);
  }
  ctx.status = 202;
  ctx.set(HEADER.location, `${runUrl(runId)}/deliveries`);
  return result.record;
}

function limited(detail: string, policy: string, quota: number, retryAfterS: number): ApiError {
  rateLimitRejections.inc({ limit: policy });
  return new ApiError('rate_limited', detail, { headers: { ...rateLimitHeaders(policy, quota, retryAfterS, 0, retryAfterS), [HEADER.retryAfter]: String(retryAfterS) } });
}

export function webhookRoutes(deps: ApiDeps): RouteSpec[] {
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
        const ids = await deliveryIds(deps, ctx, params.run_id);
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
        const ids = await deliveryIds(deps, ctx, params.run_id);
        if (!ids.includes(params.delivery_id)) throw new ApiError('not_found', `Run ${params.run_id} has no delivery ${params.delivery_id}.`);
        ctx.body = await resend(deps, ctx, params.run_id, params.delivery_id);
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
        const newest = (await deliveryIds(deps, ctx, params.run_id)).at(-1);
        if (!newest) throw new ApiError('not_found', `Run ${params.run_id} has made no webhook delivery yet.`);
        ctx.body = await resend(deps, ctx, params.run_id, newest);
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
