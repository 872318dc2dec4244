// The load callers' HTTP: one request at a time timed per route, and a retry loop that repeats the
// same request (same Idempotency-Key) on the answers a real client should retry.
import type { TestApi } from '../helpers/api.js';

/** The routes the callers use, as route patterns (never ids), for per-route figures. */
export type Route =
  | 'POST /api/v1/chains/{chain}'
  | 'POST /api/v1/chains/{chain}/runs'
  | 'POST /api/v1/chains/{chain}/stream'
  | 'GET /api/v1/runs/{run_id}'
  | 'GET /api/v1/runs/{run_id}/events'
  | 'GET /api/v1/runs/{run_id}/deliveries'
  | 'POST /api/v1/runs/{run_id}/input'
  | 'POST /api/v1/input/{token}';

/** `network` stands for a request that got no HTTP answer (refused, reset, cut mid-body). */
export type Outcome = number | 'network';

/**
 * What the callers observed: each request's latency and outcome per route, and each retry by the
 * outcome that caused it. Latency is until the answer was read whole (for streams: until the stream closed).
 */
export class Recorder {
  readonly latencies = new Map<Route, number[]>();
  readonly outcomes = new Map<Route, Map<string, number>>();
  readonly retried = new Map<string, number>();
  /** Time from a stream request to its `200` headers. */
  readonly streamOpenMs: number[] = [];

  request(route: Route, ms: number, outcome: Outcome): void {
    if (!this.latencies.has(route)) this.latencies.set(route, []);
    this.latencies.get(route)!.push(ms);
    const counts = this.outcomes.get(route) ?? new Map<string, number>();
    counts.set(String(outcome), (counts.get(String(outcome)) ?? 0) + 1);
    this.outcomes.set(route, counts);
  }

  retry(route: Route, outcome: Outcome): void {
    const key = `${outcome} on ${route}`;
    this.retried.set(key, (this.retried.get(key) ?? 0) + 1);
  }
}

export interface Reply {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or undefined when the body was not JSON. */
  body: unknown;
}

/** The body and headers of a caller's request. */
export interface CallerRequest {
  body?: unknown;
  headers?: Record<string, string>;
}

/** A caller ran out of time for its run: the run counts as lost. */
export class GaveUp extends Error {
  override name = 'GaveUp';
}

/** Statuses a client retries with the same request: a limit, a bug, Temporal unreachable, a sync wait that ended. */
export const RETRY_STATUSES = new Set([429, 500, 503, 504]);

/** The problem codes under those statuses that no retry changes: the chain cannot run here, or the run timed out. */
const FINAL_CODES = new Set(['chain_unavailable', 'chain_timeout']);

function worthRetrying(reply: Reply): boolean {
  const code = (reply.body as { code?: unknown } | undefined)?.code;
  return RETRY_STATUSES.has(reply.status) && !(typeof code === 'string' && FINAL_CODES.has(code));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The delay before a retry: the server's Retry-After, capped (a load test measures the service, not the wait), with jitter. */
export function retryDelayMs(headers: Headers | undefined, capMs: number): number {
  const retryAfter = Number(headers?.get('retry-after'));
  const suggested = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : capMs;
  return Math.min(suggested, capMs) * (0.5 + Math.random() / 2);
}

export class LoadHttp {
  constructor(
    readonly api: TestApi,
    readonly recorder: Recorder,
  ) {}

  /**
   * One request; `network` when no answer arrived. `path` is a path on the API, sent with the caller's
   * key, or an absolute URL (a webhook's respond_url), POSTed as it is with no key, as a partner would.
   */
  async once(route: Route, path: string, init: CallerRequest = {}): Promise<Reply | 'network'> {
    const t0 = performance.now();
    try {
      // Like any real client, give up on a request that hangs, and retry it (same Idempotency-Key).
      const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
      const res = /^https?:\/\//.test(path)
        ? await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', ...init.headers }, body: JSON.stringify(init.body ?? {}), signal })
        : await this.api.request(path, { ...init, signal });
      const text = await res.text();
      this.recorder.request(route, performance.now() - t0, res.status);
      return { status: res.status, headers: res.headers, body: parseJson(text) };
    } catch {
      this.recorder.request(route, performance.now() - t0, 'network');
      return 'network';
    }
  }

  /**
   * Repeats the same request until an answer a client would not retry (see worthRetrying) or the
   * deadline; throws GaveUp at the deadline. `tries` counts the requests sent, this last one included.
   */
  async retrying(route: Route, path: string, init: CallerRequest, deadline: number): Promise<Reply & { tries: number }> {
    for (let tries = 1; ; tries++) {
      const reply = await this.once(route, path, init);
      if (reply !== 'network' && !worthRetrying(reply)) return { ...reply, tries };
      const outcome = reply === 'network' ? 'network' : reply.status;
      this.recorder.retry(route, outcome);
      if (Date.now() > deadline) throw new GaveUp(`${route} still answered ${outcome} at the run's deadline`);
      // A sync wait that ended (504) is simply repeated: the run goes on and the repeat waits on it.
      if (outcome !== 504) await sleep(retryDelayMs(reply === 'network' ? undefined : reply.headers, 1_000));
    }
  }
}

/** Longer than the longest sync wait the callers ask for (timeout_s 60). */
const REQUEST_TIMEOUT_MS = 90_000;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
