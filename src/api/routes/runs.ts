import type { Context } from 'koa';
import type { z } from 'zod';
import { isOpen } from '../../records/schemas.js';
import { cancelRun } from '../../runs/cancel.js';
import { readOwnedRun, type RunSnapshot } from '../../runs/read.js';
import { waitsForInput } from '../../runs/start.js';
import { waitForRun } from '../../runs/wait.js';
import { listRuns } from '../../runs/list.js';
import type { ApiDeps } from '../deps.js';
import type { RunState } from '../../workflows/types.js';
import { launchRun, type LaunchRequest, type Launched } from '../../runs/launch.js';
import { ApiError } from '../problem.js';
import { pollDelaySeconds, runEndedError, toRunResource } from '../resources.js';
import { defineRoute, type RouteSpec } from '../route.js';
import {
  asyncRunRequest,
  chainRefParam,
  idempotencyKeyHeader,
  listRunsQuery,
  pollRunQuery,
  runAcceptedSchema,
  runIdParam,
  runListSchema,
  runSchema,
  runWaitingSchema,
  syncRunRequest,
} from '../schemas.js';
import { HEADER, runEventsUrl, runUrl } from '../wire.js';

const idempotencyHeaderSpec = {
  name: 'Idempotency-Key',
  description: 'Up to 255 characters. Repeating a request with the same key returns the same run and never starts a second one.',
  schema: idempotencyKeyHeader,
};

/** What a response naming a run gives: its id, for every operation on that run. */
export const givesRun = { run_id: '$response.body#/run_id' } as const;

/** What a run-starting route asks the run service for: its body plus the Idempotency-Key header. */
export function launchRequest(ctx: Context, body: Omit<LaunchRequest, 'idempotencyKey'>): LaunchRequest {
  return { input: body.input, max_cost: body.max_cost, webhook: body.webhook, idempotencyKey: ctx.get(HEADER.idempotencyKey) || undefined };
}

export function runRoutes(deps: ApiDeps): RouteSpec[] {
  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/chains/:chain',
      operationId: 'runChainSync',
      summary: 'Run a chain and wait for its result',
      description:
        'Waits up to `timeout_s` seconds. If the wait ends first the run goes on: the answer is 504 `wait_timeout` with `run_id` and `poll_url`; poll it, or repeat the request with the same Idempotency-Key to wait on the same run again. A run that reaches an input step answers 202 at once, `waiting_for_input` with its `input_request`: answer it with POST /api/v1/runs/{run_id}/input, then poll.',
      tag: 'runs',
      params: chainRefParam,
      paramsNotFound: 'chain_not_found',
      body: syncRunRequest,
      headers: [idempotencyHeaderSpec],
      responses: {
        200: { description: 'The run completed', schema: runSchema, provides: givesRun },
        202: { description: 'The run waits for input (status waiting_for_input, input_request): answer it, then poll', schema: runWaitingSchema, headers: ['Location', 'Retry-After'], provides: givesRun },
        402: { description: 'budget_exceeded' },
        403: { description: 'forbidden: the key may not run this chain' },
        404: { description: 'chain_not_found' },
        409: { description: 'cancelled' },
        422: { description: 'validation_failed or idempotency_conflict' },
        429: { description: 'rate_limited: too many requests, runs in progress, or sync requests waiting' },
        502: { description: 'agent_failed, with the agent name' },
        504: { description: 'wait_timeout (the run goes on, see Location) or chain_timeout', headers: ['Location', 'Retry-After'] },
      },
      async handler(ctx, { params, body }) {
        // The slot is taken before the run starts: a caller at its cap starts nothing it cannot wait for.
        const { runId, outcome } = await deps.slots.with(ctx.state.caller.id, 'waits', async () => {
          const { runId, orphanable, chain } = await launchRun(deps, ctx.state.caller, params.chain, launchRequest(ctx, body));
          // A run this request started is not orphanable: touching it would only add a workflow task.
          if (orphanable) deps.toucher.touch(runId);
          return { runId, outcome: await waitForRun(deps.client, runId, body.timeout_s * 1000, responseClosed(ctx), waitsForInput(chain)) };
        });
        if (outcome === 'paused') {
          const snapshot = await deps.polls.read(runId, ctx.state.caller.id, { fresh: true });
          ctx.status = 202;
          ctx.set(HEADER.location, runUrl(runId));
          ctx.set(HEADER.retryAfter, String(pollDelaySeconds(snapshot.state)));
          ctx.body = { ...runResource(deps, snapshot, ctx), poll_url: runUrl(runId), stream_url: runEventsUrl(runId) };
          return;
        }
        if (outcome === 'timeout') {
          throw new ApiError('wait_timeout', `The run did not finish within ${body.timeout_s} s; it goes on. Poll it, or repeat this request with the same Idempotency-Key.`, {
            run_id: runId,
            poll_url: runUrl(runId),
            headers: { [HEADER.location]: runUrl(runId), [HEADER.retryAfter]: '2' },
          });
        }
        const snapshot = await readOwnedRun(deps.client, runId, ctx.state.caller.id);
        const { state } = snapshot;
        if (state.status !== 'completed' && state.error) throw runEndedError(state.run_id, state.error);
        ctx.body = runResource(deps, snapshot, ctx);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/chains/:chain/runs',
      operationId: 'startRun',
      summary: 'Start a run and poll it',
      tag: 'runs',
      params: chainRefParam,
      paramsNotFound: 'chain_not_found',
      body: asyncRunRequest,
      headers: [idempotencyHeaderSpec],
      responses: {
        202: { description: 'The run started (or, with a known Idempotency-Key, the existing run)', schema: runAcceptedSchema, headers: ['Location', 'Retry-After'], provides: givesRun },
        403: { description: 'forbidden' },
        404: { description: 'chain_not_found' },
        422: { description: 'validation_failed or idempotency_conflict' },
      },
      async handler(ctx, { params, body }) {
        await answerAccepted(deps, ctx, await launchRun(deps, ctx.state.caller, params.chain, launchRequest(ctx, body), { orphanable: true }));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/runs',
      operationId: 'listRuns',
      summary: "List the caller's runs, newest first",
      description:
        'Running runs come first (newest started first), then ended ones (latest ended first), as Temporal visibility orders them. A run that ends while a caller pages moves behind the cursor and can be listed again on a later page: key what you collect by `run_id`.',
      tag: 'runs',
      query: listRunsQuery,
      responses: { 200: { description: 'A page of runs', schema: runListSchema }, 422: { description: 'validation_failed: a bad filter, limit or cursor' } },
      async handler(ctx, { query }) {
        ctx.body = await listRuns(deps.client, deps.config.temporal.namespace, ctx.state.caller.id, { ...query, cursorKey: deps.cursorKey });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/runs/:run_id',
      operationId: 'getRun',
      summary: 'Poll a run',
      description:
        'While running: `progress` and a Retry-After header with the suggested poll delay. Ended: `output` or `error`. With `wait`, a running run is answered when it ends or when the wait runs out, whichever is first (a long poll: one request instead of many).',
      tag: 'runs',
      params: runIdParam,
      query: pollRunQuery,
      responses: {
        200: { description: 'The run', schema: runSchema, headers: ['Retry-After'] },
        404: { description: 'not_found' },
        429: { description: "rate_limited: too many requests, or (with `wait`) all of the caller's wait slots are held" },
      },
      async handler(ctx, { params, query }) {
        const callerId = ctx.state.caller.id;
        let snapshot = await deps.polls.read(params.run_id, callerId);
        if (snapshot.state.status === 'running' && query.wait > 0) {
          const pausable = pausableChain(deps, snapshot.state);
          snapshot = await deps.slots.with(callerId, 'waits', async () => {
            // A run that may pause for input is answered when it starts waiting, too: a person's answer can take hours.
            const outcome = await waitForRun(deps.client, params.run_id, query.wait * 1000, responseClosed(ctx), pausable);
            // The end is read anew (a shared read from before it may still be in its window) and shared from then on.
            return deps.polls.read(params.run_id, callerId, { fresh: outcome !== 'timeout' });
          });
        }
        if (isOpen(snapshot.state.status)) {
          // A run counts as touched when it starts: the polls of its first seconds need send nothing.
          // A run waiting for input cannot be orphaned (its idle time starts again when it goes on).
          if (snapshot.state.status === 'running') deps.toucher.touch(params.run_id, Date.parse(snapshot.state.started_at));
          ctx.set(HEADER.retryAfter, String(pollDelaySeconds(snapshot.state)));
        }
        ctx.body = runResource(deps, snapshot, ctx);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/runs/:run_id/cancel',
      operationId: 'cancelRun',
      summary: 'Cancel a run',
      description: 'The running agent is cancelled (its in-flight model or HTTP call is aborted) and the run ends `cancelled`.',
      tag: 'runs',
      params: runIdParam,
      responses: {
        202: { description: 'Cancellation requested', schema: runSchema, headers: ['Location'] },
        404: { description: 'not_found' },
        409: { description: 'run_ended' },
      },
      async handler(ctx, { params }) {
        const snapshot = await cancelRun(deps.client, params.run_id, ctx.state.caller.id);
        ctx.status = 202;
        ctx.set(HEADER.location, runUrl(params.run_id));
        ctx.body = runResource(deps, snapshot, ctx);
      },
    }),
  ];
}

/** Answers 202 for a run just started (or attached to with its Idempotency-Key): where to poll and stream it, and how long it may take. */
export async function answerAccepted(deps: ApiDeps, ctx: Context, { runId, chain, webhook, rerunOf }: Launched): Promise<void> {
  const estimateMs = await deps.estimates.estimateMs(chain);
  const estimate = estimateMs === undefined ? null : Math.round(estimateMs / 100) / 10;
  ctx.status = 202;
  ctx.set(HEADER.location, runUrl(runId));
  ctx.set(HEADER.retryAfter, String(Math.max(1, Math.min(5, Math.round(estimate ?? 2)))));
  ctx.body = {
    run_id: runId,
    chain: chain.name,
    chain_version: chain.version,
    status: 'running',
    cost: 0,
    duration_ms: 0,
    poll_url: runUrl(runId),
    stream_url: runEventsUrl(runId),
    estimated_duration_s: estimate,
    ...(webhook && { webhook }),
    ...(rerunOf && { rerun_of: rerunOf }),
  } satisfies z.infer<typeof runAcceptedSchema>;
}

/** The run as every route answers it, with where operators open it in the Temporal UI (when configured). */
export function runResource(deps: ApiDeps, snapshot: RunSnapshot, ctx: Context) {
  const ui = deps.config.temporalUiUrl;
  const runId = snapshot.state.run_id;
  return {
    ...toRunResource(snapshot, ctx.state.requestId),
    ...(ui && { temporal_ui_url: `${ui.replace(/\/$/, '')}/namespaces/${encodeURIComponent(deps.config.temporal.namespace)}/workflows/${runId}` }),
  };
}

/** Whether the run's chain version has an input step (a chain no longer loaded counts as one that may). */
function pausableChain(deps: ApiDeps, state: RunState): boolean {
  const chain = deps.catalog.resolve(`${state.chain}@${state.chain_version}`);
  return chain === undefined || waitsForInput(chain);
}

/** Aborts when the response closes: the caller hung up (the request closes as soon as its body was read). */
function responseClosed(ctx: Context): AbortSignal {
  const controller = new AbortController();
  const abort = () => controller.abort();
  if (ctx.req.socket.destroyed) abort();
  else ctx.res.once('close', abort);
  return controller.signal;
}
