import type { Context } from 'koa';
import { rerunRun, type RerunRequest } from '../../runs/rerun.js';
import { readRerunBatch, startRerunBatch } from '../../runs/rerun-batch.js';
import type { ApiDeps } from '../deps.js';
import { defineRoute, type RouteSpec } from '../route.js';
import {
  batchIdParam,
  idempotencyKeyHeader,
  rerunBatchAcceptedSchema,
  rerunBatchRequest,
  rerunBatchSchema,
  rerunRequest,
  requiredIdempotencyKeyHeader,
  runAcceptedSchema,
  runIdParam,
  streamRerunRequest,
  type RerunRequestBody,
} from '../schemas.js';
import { HEADER, rerunBatchUrl } from '../wire.js';
import { answerAccepted, givesRun } from './runs.js';
import { lastEventIdHeaderSpec, resumePoint, streamResponses, streamRun } from './stream.js';

const idempotencyHeaderSpec = {
  name: 'Idempotency-Key',
  description: 'Repeating the request with the same key answers with the same rerun and never starts a second one.',
  schema: idempotencyKeyHeader,
};

const refusals = {
  404: { description: 'not_found: no such run of yours' },
  409: { description: 'run_not_ended: the run is still running or waiting for input' },
  422: { description: 'validation_failed (an unknown agent, an agent before `from` that did not finish, a chain version whose agents up to `from` differ) or idempotency_conflict' },
} as const;

/** What the rerun service needs from a route's body and headers. */
function rerunRequestOf(ctx: Context, body: Omit<RerunRequestBody, 'on_disconnect'>): RerunRequest {
  const { from, from_index, input, chain, max_cost, webhook } = body;
  return { from, from_index, input, chain, max_cost, webhook, idempotencyKey: ctx.get(HEADER.idempotencyKey) || undefined };
}

/** Re-run an ended run from one of its agents, as a new run: answered like a start, or streamed. */
export function rerunRoutes(deps: ApiDeps): RouteSpec[] {
  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/runs/:run_id/rerun',
      operationId: 'rerunRun',
      summary: 'Re-run an ended run from one agent on',
      description:
        "Starts a new run of the run's chain (its version, or `chain`) that does not run the agents before `from`: their outputs and entries are taken from the original run (status `reused`, cost 0, the original cost as `reused_cost`). The original run is not changed. Answers like POST /chains/{chain}/runs, plus `rerun_of`.",
      tag: 'runs',
      params: runIdParam,
      body: rerunRequest,
      headers: [idempotencyHeaderSpec],
      responses: {
        202: { description: 'The rerun started (or, with a known Idempotency-Key, the existing one)', schema: runAcceptedSchema, headers: ['Location', 'Retry-After'], provides: givesRun },
        403: { description: 'forbidden: the key may not run the chain' },
        ...refusals,
      },
      async handler(ctx, { params, body }) {
        await answerAccepted(deps, ctx, await rerunRun(deps, ctx.state.caller, params.run_id, rerunRequestOf(ctx, body), { orphanable: true }));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/runs/:run_id/rerun/stream',
      operationId: 'streamRerun',
      summary: 'Re-run an ended run from one agent on, and stream the new run (SSE)',
      description: 'Starts a rerun like POST /runs/{run_id}/rerun (same body, plus `on_disconnect`) and streams the new run like POST /chains/{chain}/stream.',
      tag: 'streaming',
      params: runIdParam,
      body: streamRerunRequest,
      headers: [idempotencyHeaderSpec, lastEventIdHeaderSpec],
      responses: { ...streamResponses, 403: { description: 'forbidden' }, ...refusals },
      async handler(ctx, { params, body }) {
        const after = resumePoint(ctx);
        await deps.slots.with(ctx.state.caller.id, 'streams', async () => {
          const { runId } = await rerunRun(deps, ctx.state.caller, params.run_id, rerunRequestOf(ctx, body), { orphanable: true });
          await streamRun(deps, ctx, runId, after, body.on_disconnect === 'cancel');
        });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/runs/rerun',
      operationId: 'rerunRuns',
      summary: 'Re-run many ended runs from one agent on (a batch)',
      description:
        "Re-runs the caller's runs of one chain version that ended with `status` (default failed), started within the given times, newest first up to `limit`: each gets one rerun from `from`, as POST /runs/{run_id}/rerun would start it (no webhook, not orphanable). The batch is a durable job: it survives restarts and starts its reruns at a bounded rate, only into the room below the caller's concurrent-run limit (it waits for runs to end when there is none). Poll its results at `poll_url`. The Idempotency-Key is required: a repeat answers the same batch, and each run is re-run once per batch.",
      tag: 'runs',
      body: rerunBatchRequest,
      headers: [{ ...idempotencyHeaderSpec, schema: requiredIdempotencyKeyHeader, required: true }],
      responses: {
        202: { description: 'The batch started (or, with a known Idempotency-Key, the existing one)', schema: rerunBatchAcceptedSchema, headers: ['Location', 'Retry-After'], provides: { batch_id: '$response.body#/batch_id' } },
        400: { description: 'invalid_request: no Idempotency-Key' },
        403: { description: 'forbidden: the key may not run the chain' },
        404: { description: 'chain_not_found' },
        422: { description: 'validation_failed or idempotency_conflict' },
      },
      async handler(ctx, { body }) {
        const batchId = await startRerunBatch(deps, ctx.state.caller, body, ctx.get(HEADER.idempotencyKey) || undefined);
        ctx.status = 202;
        ctx.set(HEADER.location, rerunBatchUrl(batchId));
        ctx.set(HEADER.retryAfter, '2');
        ctx.body = { batch_id: batchId, status: 'running', poll_url: rerunBatchUrl(batchId) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/reruns/:batch_id',
      operationId: 'getRerunBatch',
      summary: "A rerun batch's progress and per-run results",
      tag: 'runs',
      params: batchIdParam,
      responses: { 200: { description: 'The batch', schema: rerunBatchSchema, headers: ['Retry-After'] }, 404: { description: 'not_found' } },
      async handler(ctx, { params }) {
        const batch = await readRerunBatch(deps.client, ctx.state.caller.id, params.batch_id);
        if (batch.status === 'running') ctx.set(HEADER.retryAfter, '2');
        ctx.body = batch;
      },
    }),
  ];
}
