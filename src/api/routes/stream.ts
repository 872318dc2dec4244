import type { Context } from 'koa';
import { runOwnedBy } from '../../runs/read.js';
import { isTerminal, RUN_EVENT_DATA, type RunEvent } from '../../runs/stream/events.js';
import { formatId, parseId, type Position } from '../../runs/stream/ids.js';
import type { ApiDeps } from '../deps.js';
import { launchRun } from '../../runs/launch.js';
import { launchRequest } from './runs.js';
import { ApiError } from '../problem.js';
import { defineRoute, type RouteSpec } from '../route.js';
import { chainRefParam, idempotencyKeyHeader, lastEventIdHeader, runIdParam, streamEventsQuery, streamRunRequest, streamTokenSchema } from '../schemas.js';
import { openSse } from '../sse.js';
import { HEADER, runEventsUrl } from '../wire.js';

const RECONNECT_COMMENT = 'stream closed by the server before the run ended: reconnect with Last-Event-ID to resume';

export const lastEventIdHeaderSpec = {
  name: 'Last-Event-ID',
  description: 'Resume after this event id (EventSource sends it when it reconnects); the stream then continues with the next event. Empty means none.',
  schema: lastEventIdHeader,
};

export const streamResponses = {
  200: { description: 'text/event-stream of the run\'s events until it ends; see the README "Streaming (SSE)" section', events: RUN_EVENT_DATA, contentType: 'text/event-stream' },
  400: { description: 'invalid_request: a Last-Event-ID this service did not send' },
  429: { description: 'rate_limited: too many requests, or too many open streams', headers: ['Retry-After', 'RateLimit', 'RateLimit-Policy'] },
} as const;

/**
 * Server-Sent Events routes: start a run and stream it, or attach to a run. Errors are problem+json
 * until the stream starts; after that only events follow.
 */
export function streamRoutes(deps: ApiDeps): RouteSpec[] {
  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/chains/:chain/stream',
      operationId: 'streamRun',
      summary: 'Start a run and stream its events (SSE)',
      description:
        'Starts a run like POST /chains/{chain}/runs (same body, Idempotency-Key and limits) and streams its events as Server-Sent Events until it ends. `on_disconnect: "cancel"` cancels the run if the client goes away first; by default the run goes on and can be re-attached at GET /runs/{run_id}/events.',
      tag: 'streaming',
      params: chainRefParam,
      paramsNotFound: 'chain_not_found',
      body: streamRunRequest,
      headers: [{ name: 'Idempotency-Key', description: 'Repeat the request safely: the same key streams the same run.', schema: idempotencyKeyHeader }, lastEventIdHeaderSpec],
      responses: {
        ...streamResponses,
        403: { description: 'forbidden' },
        404: { description: 'chain_not_found' },
        422: { description: 'validation_failed or idempotency_conflict' },
      },
      async handler(ctx, { params, body }) {
        const after = resumePoint(ctx);
        await deps.slots.with(ctx.state.caller.id, 'streams', async () => {
          const { runId } = await launchRun(deps, ctx.state.caller, params.chain, launchRequest(ctx, body), { orphanable: true });
          await streamRun(deps, ctx, runId, after, body.on_disconnect === 'cancel');
        });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/runs/:run_id/events',
      operationId: 'streamRunEvents',
      summary: "Stream a run's events (SSE)",
      description:
        'Attaches to a running or ended run and streams its events from the start, or from after `Last-Event-ID` (header, or `last_event_id` in the query for clients that cannot set headers). Ended runs are replayed, then the stream closes.',
      tag: 'streaming',
      params: runIdParam,
      query: streamEventsQuery,
      headers: [lastEventIdHeaderSpec],
      responses: { ...streamResponses, 404: { description: 'not_found' } },
      async handler(ctx, { params, query }) {
        const after = resumePoint(ctx, query.last_event_id);
        if (!(await runOwnedBy(deps.client, params.run_id, ctx.state.caller.id))) throw new ApiError('not_found', `No run ${params.run_id}.`);
        await deps.slots.with(ctx.state.caller.id, 'streams', () => streamRun(deps, ctx, params.run_id, after, false));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/runs/:run_id/stream-token',
      operationId: 'createStreamToken',
      summary: 'A short-lived token to open this run’s event stream from a browser EventSource',
      description:
        'EventSource cannot send an Authorization header, and API keys never belong in URLs. This token opens only GET /runs/{run_id}/events of this run, for 60 seconds, to whoever holds it (a bearer token: ask for a new one to reconnect later): `new EventSource(events_url)`.',
      tag: 'streaming',
      params: runIdParam,
      responses: { 200: { description: 'The token', schema: streamTokenSchema }, 404: { description: 'not_found' } },
      async handler(ctx, { params }) {
        if (!(await runOwnedBy(deps.client, params.run_id, ctx.state.caller.id))) throw new ApiError('not_found', `No run ${params.run_id}.`);
        const { token, expiresAt } = deps.streamTokens.issue(ctx.state.caller.id, params.run_id);
        ctx.body = { token, expires_at: expiresAt.toISOString(), events_url: `${runEventsUrl(params.run_id)}?stream_token=${encodeURIComponent(token)}` };
      },
    }),
  ];
}

/** Streams a run's events after `after` until it ends or the client goes; on_disconnect=cancel cancels a run left early. */
export async function streamRun(deps: ApiDeps, ctx: Context, runId: string, after: Position | undefined, cancelOnDisconnect: boolean): Promise<void> {
  const sse = openSse(ctx, { keepAliveMs: deps.sseKeepAliveMs, maxBufferedBytes: deps.config.api.streamMaxBufferBytes });
  let runEnded = false;
  const subscription = deps.readers.subscribe(runId, after, {
    event: (event) => {
      runEnded ||= isTerminal(event);
      sse.send({ id: formatId(event.position), event: event.event, data: dataJson(event) });
    },
    // Ended before the run did (shutdown, a lost reader): say so, so the client reconnects and resumes.
    end: () => sse.close(runEnded ? undefined : RECONNECT_COMMENT),
  });
  // A watched run is no orphan: touch it now and while the stream is open (the toucher throttles per run).
  deps.toucher.touch(runId);
  const touching = setInterval(() => deps.toucher.touch(runId), Math.min(30_000, deps.config.runs.orphanTimeoutMs / 3));
  const endedBy = await sse.done;
  clearInterval(touching);
  subscription.unsubscribe();
  if (endedBy === 'client' && cancelOnDisconnect && !subscription.runEnded) {
    await deps.client.workflow
      .getHandle(runId)
      .cancel()
      .catch((err: unknown) => deps.log.warn({ err, run_id: runId }, 'could not cancel a run whose stream was left (on_disconnect: cancel)'));
  }
}

/** The position after which to resume: the Last-Event-ID header, else the query fallback. */
export function resumePoint(ctx: Context, fromQuery?: string): Position | undefined {
  // Both are checked, though the header wins: a malformed id is refused wherever it was sent.
  const [fromHeader, fromParam] = [ctx.get(HEADER.lastEventId), fromQuery].map((id) => id && eventPosition(id));
  return fromHeader || fromParam || undefined;
}

function eventPosition(id: string): Position {
  const position = parseId(id);
  if (!position) throw new ApiError('invalid_request', `Last-Event-ID "${id.slice(0, 64)}" is not an event id of this stream. Resume with the id of the last event you received.`);
  return position;
}

/** Each event's data is serialised once, however many clients receive it. */
const serialised = new WeakMap<RunEvent, string>();
function dataJson(event: RunEvent): string {
  let json = serialised.get(event);
  if (json === undefined) {
    json = JSON.stringify(event.data);
    serialised.set(event, json);
  }
  return json;
}
