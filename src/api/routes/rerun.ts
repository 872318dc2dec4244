import type { Context } from 'koa';
import { rerunRun, type RerunRequest } from '../../runs/rerun.js';
import type { ApiDeps } from '../deps.js';
import { defineRoute, type RouteSpec } from '../route.js';
import { idempotencyKeyHeader, rerunRequest, runAcceptedSchema, runIdParam, streamRerunRequest, type RerunRequestBody } from '../schemas.js';
import { HEADER } from '../wire.js';
import { answerAccepted } from './runs.js';
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
        202: { description: 'The rerun started (or, with a known Idempotency-Key, the existing one)', schema: runAcceptedSchema, headers: ['Location', 'Retry-After'], provides: { run_id: '$response.body#/run_id' } },
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
  ];
}
