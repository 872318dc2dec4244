import { API_PREFIX, HEADER, MAX_POLL_WAIT_S, rerunBatchUrl, runUrl } from '../api/wire.js';
import { ChainportError, parseRetryAfter } from './errors.js';
import { Http, sleep, type RetryOptions } from './http.js';
import { streamRun, type ReconnectOptions } from './stream.js';
import type {
  Chain,
  ChainInput,
  Delivery,
  ListFilter,
  RerunBatch,
  RerunBatchAccepted,
  RerunBatchFilter,
  RerunStart,
  Run,
  RunAccepted,
  RunPage,
  RunStreamEvent,
  WebhookOptions,
} from './types.js';

export interface ChainportOptions {
  /** Where the API is, e.g. `https://chainport.example.com` (without `/api/v1`). */
  baseUrl: string;
  apiKey: string;
  /** A fetch to use instead of the global one (instrumentation, proxies, tests). */
  fetch?: typeof fetch;
  /** Retries of 429 and 503 answers, after their `Retry-After`. */
  retry?: RetryOptions;
}

interface Cancellable {
  /** Stops waiting (e.g. `AbortSignal.timeout(ms)`); the promise or stream rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface RunOptions extends Cancellable {
  /** Seconds the server waits per request (1–300, default 30) before answering `wait_timeout`; the client then asks again. */
  timeoutS?: number;
  /** Seconds to keep waiting in all; past it the `wait_timeout` error is thrown, with `runId`, and the run goes on. Default 3600. */
  maxWaitS?: number;
  maxCost?: number;
  /** Names the run: a repeat reaches the same run. Generated when left out. */
  idempotencyKey?: string;
}

export interface StartOptions extends Cancellable {
  webhook?: WebhookOptions;
  maxCost?: number;
  /** Names the run: a repeat reaches the same run. Generated when left out, so retries never start a second run. */
  idempotencyKey?: string;
}

export interface StreamStartOptions extends StartOptions {
  reconnect?: ReconnectOptions;
}

export interface RerunOptions extends StartOptions {
  /** Replaces the original run's input for the agents that run again; the original input by default. */
  input?: ChainInput;
  /** The chain version to run, `name@version`; the original run's by default. Its agents up to the start must match the original's. */
  chain?: string;
}

export interface StreamRerunOptions extends RerunOptions {
  reconnect?: ReconnectOptions;
}

export interface RerunBatchOptions extends Cancellable {
  /** Required: names the batch, so a repeat (a retry, a re-attaching CLI) reaches the same batch and re-runs nothing twice. */
  idempotencyKey: string;
}

export interface StreamAttachOptions extends Cancellable {
  reconnect?: ReconnectOptions;
}

/** The server's default wait of the sync route. */
const DEFAULT_TIMEOUT_S = 30;
/** Seconds between polls when a server answers a long poll early and gives no `Retry-After`. */
const DEFAULT_POLL_S = 2;
const DEFAULT_MAX_WAIT_S = 3600;

/**
 * A typed client of the Chainport API (v1): every call sends the API key, answers the types of
 * `src/api/schemas.ts`, and throws ChainportError (switch on `code`) for every error answer.
 */
export class Chainport {
  readonly #http: Http;

  constructor(options: ChainportOptions) {
    this.#http = new Http(options);
  }

  /**
   * Runs a chain and resolves with the completed run. While the run goes on past `timeoutS`, it asks
   * again with the same Idempotency-Key — the same run, never a second one — until the run ends or
   * `maxWaitS` passes. A run that fails rejects with its error (`agent_failed`, `budget_exceeded`,
   * `chain_timeout`, `cancelled`), `runId` set.
   */
  async run(chain: string, input: ChainInput = {}, options: RunOptions = {}): Promise<Run> {
    const key = options.idempotencyKey ?? newIdempotencyKey();
    const deadline = Date.now() + (options.maxWaitS ?? DEFAULT_MAX_WAIT_S) * 1000;
    for (;;) {
      const leftS = Math.ceil((deadline - Date.now()) / 1000);
      try {
        const { body } = await this.#http.json<Run>({
          method: 'POST',
          path: chainUrl(chain),
          body: { input, timeout_s: Math.max(1, Math.min(options.timeoutS ?? DEFAULT_TIMEOUT_S, leftS)), max_cost: options.maxCost },
          headers: { [HEADER.idempotencyKey]: key },
          signal: options.signal,
        });
        return body;
      } catch (err) {
        if (!(err instanceof ChainportError) || err.code !== 'wait_timeout' || Date.now() >= deadline) throw err;
      }
    }
  }

  /** Starts a run and answers at once (`202`): its `run_id`, `poll_url`, `stream_url`, and a generated webhook secret if any. */
  async start(chain: string, input: ChainInput = {}, options: StartOptions = {}): Promise<RunAccepted> {
    const { body } = await this.#http.json<RunAccepted>({
      method: 'POST',
      path: `${chainUrl(chain)}/runs`,
      body: { input, webhook: options.webhook, max_cost: options.maxCost },
      headers: { [HEADER.idempotencyKey]: options.idempotencyKey ?? newIdempotencyKey() },
      signal: options.signal,
    });
    return body;
  }

  /** The run now: `progress` while running, `output` or `error` once ended. */
  async get(runId: string, options: Cancellable = {}): Promise<Run> {
    return (await this.#poll(runId, options.signal)).run;
  }

  /**
   * Long-polls until the run has ended or waits for input (each request waits up to 30 s on the server
   * and answers the moment the run ends) and resolves with it whatever its status (check `status`: a
   * failed run carries `error`; a `waiting_for_input` one its `input_request`, answer it with
   * `input()` and wait again). Bound it with `signal`.
   */
  async wait(runId: string, options: Cancellable = {}): Promise<Run> {
    for (;;) {
      const began = Date.now();
      const { run, retryAfterS } = await this.#poll(runId, options.signal, MAX_POLL_WAIT_S);
      if (run.status !== 'running') return run;
      // Still running well before the wait ran out: a server without long polls. Pace it as it asks.
      if (Date.now() - began < (MAX_POLL_WAIT_S * 1000) / 2) await sleep(Math.max(1, retryAfterS ?? DEFAULT_POLL_S) * 1000, options.signal);
    }
  }

  /**
   * Answers the input step `step` the run waits at, and resolves with the run (running again).
   * Refusals are ChainportErrors: `input_not_pending`, `input_already_provided` (another answer won),
   * `validation_failed` (`problem.errors` says where; the run keeps waiting). A repeat with the same
   * `idempotencyKey` gets the same answer.
   */
  async input(runId: string, step: string, value: unknown, options: Cancellable & { idempotencyKey?: string } = {}): Promise<Run> {
    const { body } = await this.#http.json<Run>({
      method: 'POST',
      path: `${runUrl(encodeURIComponent(runId))}/input`,
      body: { step, value },
      headers: options.idempotencyKey === undefined ? {} : { [HEADER.idempotencyKey]: options.idempotencyKey },
      signal: options.signal,
    });
    return body;
  }

  /** Asks for the run to be cancelled (`202`, the run as it was); `run_ended` (409) if it already ended. */
  async cancel(runId: string, options: Cancellable = {}): Promise<Run> {
    return (await this.#http.json<Run>({ method: 'POST', path: `${runUrl(encodeURIComponent(runId))}/cancel`, signal: options.signal })).body;
  }

  /**
   * Your runs, newest first, one page at a time: `for await (const page of client.list({ status: 'failed' }))`.
   * Each run comes once per walk: a run that ends while you page moves to the ended runs, after the
   * running ones, and the API can list it again on a later page; this walk drops the repeat.
   */
  async *list(filter: ListFilter = {}, options: Cancellable = {}): AsyncGenerator<RunPage, void, undefined> {
    const seen = new Set<string>();
    let cursor = filter.cursor;
    do {
      const { body } = await this.#http.json<RunPage>({ path: `${API_PREFIX}/runs`, query: { ...filter, cursor }, signal: options.signal });
      const data = body.data.filter((run) => !seen.has(run.run_id));
      for (const run of data) seen.add(run.run_id);
      yield { ...body, data };
      cursor = body.next_cursor ?? undefined;
    } while (cursor !== undefined);
  }

  /**
   * A run's events as they happen, typed by `event`, until its terminal `run.*` event. Give a chain
   * (and input) to start a run — with an Idempotency-Key, so a reconnect before the first event reaches
   * the same run — or `{ runId }` to attach to one (from after `lastEventId` if given). A dropped
   * connection is resumed with `Last-Event-ID`; no event is yielded twice. `break` closes the connection
   * (the run goes on).
   */
  stream(chain: string, input?: ChainInput, options?: StreamStartOptions): AsyncGenerator<RunStreamEvent, void, undefined>;
  stream(run: { runId: string; lastEventId?: string }, options?: StreamAttachOptions): AsyncGenerator<RunStreamEvent, void, undefined>;
  stream(
    target: string | { runId: string; lastEventId?: string },
    inputOrOptions?: ChainInput | StreamAttachOptions,
    startOptions: StreamStartOptions = {},
  ): AsyncGenerator<RunStreamEvent, void, undefined> {
    const runStatus = this.#runStatus;
    if (typeof target !== 'string') {
      const options = (inputOrOptions ?? {}) as StreamAttachOptions;
      return streamRun(this.#http, target, { signal: options.signal, reconnect: options.reconnect, runStatus });
    }
    const body = { input: (inputOrOptions ?? {}) as ChainInput, webhook: startOptions.webhook, max_cost: startOptions.maxCost };
    const source = { path: `${chainUrl(target)}/stream`, body, idempotencyKey: startOptions.idempotencyKey ?? newIdempotencyKey() };
    return streamRun(this.#http, source, { signal: startOptions.signal, reconnect: startOptions.reconnect, runStatus });
  }

  /** What a stream asks when a connection closed without anything new: has the run ended? */
  readonly #runStatus = async (runId: string) => (await this.get(runId)).status;

  /**
   * Re-runs an ended run from one of its agents (`{ from: 'editor' }` or `{ fromIndex: 2 }`) as a new
   * run, and answers at once like start(), plus `rerun_of`. The agents before it are not run again:
   * their outputs come from the original run, which is left as it was. Refusals are ChainportErrors:
   * `not_found`, `run_not_ended`, `validation_failed` (an unknown agent, an earlier agent that did not
   * finish, a `chain` whose agents up to the start differ), `idempotency_conflict`.
   */
  async rerun(runId: string, start: RerunStart, options: RerunOptions = {}): Promise<RunAccepted> {
    const { body } = await this.#http.json<RunAccepted>({
      method: 'POST',
      path: `${runUrl(encodeURIComponent(runId))}/rerun`,
      body: rerunBody(start, options),
      headers: { [HEADER.idempotencyKey]: options.idempotencyKey ?? newIdempotencyKey() },
      signal: options.signal,
    });
    return body;
  }

  /**
   * Starts a rerun like rerun() and yields the new run's events as stream() does (reconnecting the
   * same way): only the agents that run again have `agent.*` events.
   */
  streamRerun(runId: string, start: RerunStart, options: StreamRerunOptions = {}): AsyncGenerator<RunStreamEvent, void, undefined> {
    const source = { path: `${runUrl(encodeURIComponent(runId))}/rerun/stream`, body: rerunBody(start, options), idempotencyKey: options.idempotencyKey ?? newIdempotencyKey() };
    return streamRun(this.#http, source, { signal: options.signal, reconnect: options.reconnect, runStatus: this.#runStatus });
  }

  /**
   * Re-runs many ended runs of one chain version from one agent, as a durable batch on the server, and
   * answers at once (`202`) with its `batch_id`; follow it with rerunBatchStatus(). The same
   * `idempotencyKey` with the same filter answers the same batch; with another, `idempotency_conflict`.
   */
  async rerunBatch(filter: RerunBatchFilter, options: RerunBatchOptions): Promise<RerunBatchAccepted> {
    const { body } = await this.#http.json<RerunBatchAccepted>({
      method: 'POST',
      path: `${API_PREFIX}/runs/rerun`,
      body: {
        chain: filter.chain,
        status: filter.status,
        from: filter.from,
        created_after: isoTime(filter.createdAfter),
        created_before: isoTime(filter.createdBefore),
        limit: filter.limit,
        target_chain: filter.targetChain,
      },
      headers: { [HEADER.idempotencyKey]: options.idempotencyKey },
      signal: options.signal,
    });
    return body;
  }

  /** A rerun batch now: `running` or `completed`, how many reruns started or could not, and each run's result. */
  async rerunBatchStatus(batchId: string, options: Cancellable = {}): Promise<RerunBatch> {
    return (await this.#http.json<RerunBatch>({ path: rerunBatchUrl(encodeURIComponent(batchId)), signal: options.signal })).body;
  }

  /** The chains this key may run, each at its newest version with all its versions. */
  async chains(options: Cancellable = {}): Promise<Chain[]> {
    return (await this.#http.json<{ data: Chain[] }>({ path: `${API_PREFIX}/chains`, signal: options.signal })).body.data;
  }

  /** One chain, `name` (newest version) or `name@version`, with its input schema and agents. */
  async chain(ref: string, options: Cancellable = {}): Promise<Chain> {
    return (await this.#http.json<Chain>({ path: `${API_PREFIX}/chains/${encodeURIComponent(ref)}`, signal: options.signal })).body;
  }

  /** One page of your deliveries whose every attempt failed, newest first; pass `next_cursor` back as `cursor`. */
  async failedDeliveries(page: { limit?: number; cursor?: string } = {}, options: Cancellable = {}): Promise<{ data: Delivery[]; next_cursor: string | null }> {
    return (await this.#http.json<{ data: Delivery[]; next_cursor: string | null }>({ path: `${API_PREFIX}/webhooks/failed`, query: page, signal: options.signal })).body;
  }

  /** The run's webhook deliveries, oldest first, each with every attempt. */
  async deliveries(runId: string, options: Cancellable = {}): Promise<Delivery[]> {
    const { body } = await this.#http.json<{ data: Delivery[] }>({ path: `${runUrl(encodeURIComponent(runId))}/deliveries`, signal: options.signal });
    return body.data;
  }

  /**
   * Sends a delivery again (same `webhook-id`, fresh timestamp and signature) and answers its record,
   * `pending`. Without `deliveryId`, the run's newest delivery.
   */
  async redeliver(runId: string, deliveryId?: string, options: Cancellable = {}): Promise<Delivery> {
    const run = runUrl(encodeURIComponent(runId));
    const path = deliveryId === undefined ? `${run}/webhook/resend` : `${run}/deliveries/${encodeURIComponent(deliveryId)}/redeliver`;
    return (await this.#http.json<Delivery>({ method: 'POST', path, signal: options.signal })).body;
  }

  async #poll(runId: string, signal: AbortSignal | undefined, waitS = 0): Promise<{ run: Run; retryAfterS: number | undefined }> {
    const path = `${runUrl(encodeURIComponent(runId))}${waitS > 0 ? `?wait=${waitS}` : ''}`;
    const { body, response } = await this.#http.json<Run>({ path, signal });
    return { run: body, retryAfterS: parseRetryAfter(response.headers.get(HEADER.retryAfter)) };
  }
}

function chainUrl(chain: string): string {
  return `${API_PREFIX}/chains/${encodeURIComponent(chain)}`;
}

/** The body of both rerun routes. */
function rerunBody(start: RerunStart, options: RerunOptions): Record<string, unknown> {
  const from = 'from' in start ? { from: start.from } : { from_index: start.fromIndex };
  return { ...from, input: options.input, chain: options.chain, max_cost: options.maxCost, webhook: options.webhook };
}

function isoTime(time: Date | string | undefined): string | undefined {
  return time instanceof Date ? time.toISOString() : time;
}

/** A fresh Idempotency-Key (WebCrypto, so browsers have it too). */
function newIdempotencyKey(): string {
  return `cp-${globalThis.crypto.randomUUID()}`;
}
