import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { HEADER, runEventsUrl } from '../api/wire.js';
import { ChainportError } from './errors.js';
import { sleep, type Http } from './http.js';
import type { RunStatus, RunStreamEvent } from './types.js';

/** The statuses of a run that has not ended: its stream has more to say. */
const OPEN: readonly string[] = ['running', 'waiting_for_input'] satisfies RunStatus[];

export interface ReconnectOptions {
  /** Reconnects in a row that bring no new event before the stream gives up and throws. Default 5. */
  maxAttempts?: number;
  /** Delay before the first reconnect; it doubles on each further one, up to 5 s. Default 250 ms. */
  delayMs?: number;
  /**
   * Silence after which a connection counts as dropped and is resumed: nothing at all, not even the
   * keep-alive comment the server sends after 15 s without an event. It catches connections that died
   * without closing (a frozen server, a proxy or NAT that forgot them). Default 45 000 ms.
   */
  idleTimeoutMs?: number;
}

/** A run to start (its key makes a repeated start reach the same run), or a run to attach to. */
export type StreamSource = StartRequest | { runId: string; lastEventId?: string | undefined };
/** A stream route that starts a run (a chain's, or a rerun's): where to POST, what, and under which key. */
type StartRequest = { path: string; body: Record<string, unknown>; idempotencyKey: string };

export interface StreamOptions {
  signal?: AbortSignal | undefined;
  reconnect?: ReconnectOptions | undefined;
  /** The run's status, asked when a connection closed without sending anything new. */
  runStatus: (runId: string) => Promise<RunStatus>;
}

const TERMINAL_EVENTS: ReadonlySet<string> = new Set(['run.completed', 'run.failed', 'run.timed_out', 'run.cancelled'] as const satisfies ReadonlyArray<RunStreamEvent['event']>);
const MAX_RECONNECT_DELAY_MS = 5_000;

/**
 * A run's events, each once and in order, until its terminal `run.*` event. When the connection drops
 * (or the server closes it early, e.g. on shutdown) it reconnects to `GET /runs/{run_id}/events` with
 * `Last-Event-ID` — before the first event, by repeating the start with the same Idempotency-Key — and
 * skips anything at or before the last id it yielded. Leaving the loop early closes the connection.
 */
export async function* streamRun(http: Http, source: StreamSource, options: StreamOptions): AsyncGenerator<RunStreamEvent, void, undefined> {
  const { maxAttempts = 5, delayMs = 250, idleTimeoutMs = 45_000 } = options.reconnect ?? {};
  // Once the first event names the run, every reconnect attaches to it.
  let target: StartRequest | { runId: string } = source;
  let lastId = 'runId' in source ? source.lastEventId : undefined;
  let failures = 0;
  for (;;) {
    const connection = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, connection.signal]) : connection.signal;
    let received = 0;
    let dropped: unknown;
    let idle: ReturnType<typeof setTimeout> | undefined;
    const alive = () => {
      clearTimeout(idle);
      idle = setTimeout(() => connection.abort(new Error(`Nothing received for ${idleTimeoutMs} ms: the connection is taken as dropped.`)), idleTimeoutMs);
    };
    alive();
    try {
      const res = await open(http, target, lastId, signal);
      for await (const message of messages(res, signal, alive)) {
        const event = toEvent(message);
        if (lastId !== undefined && compareIds(event.id, lastId) <= 0) continue;
        lastId = event.id;
        received++;
        failures = 0;
        if (event.event === 'run.started' && !('runId' in target)) target = { runId: event.data.run_id };
        // Time the caller spends on an event is not silence on the connection.
        clearTimeout(idle);
        yield event;
        alive();
        if (TERMINAL_EVENTS.has(event.event)) return;
      }
      // An abort also ends the loop (see messages): the caller's is final, the idle timer's is a drop.
      options.signal?.throwIfAborted();
      if (connection.signal.aborted) dropped = connection.signal.reason;
    } catch (err) {
      // Answers (401, 404, 400 for a bad id…) and the caller's abort are final; anything else is a drop.
      if (options.signal?.aborted || err instanceof ChainportError) throw err;
      dropped = err;
    } finally {
      clearTimeout(idle);
      connection.abort();
    }
    const runId = 'runId' in target ? target.runId : undefined;
    // Closed cleanly with nothing new: the run may have ended before our Last-Event-ID was its last event.
    if (dropped === undefined && received === 0 && runId !== undefined && !OPEN.includes(await options.runStatus(runId))) return;
    if (++failures > maxAttempts) {
      throw new Error(`The stream of ${runId ?? 'the run'} broke off ${maxAttempts + 1} times in a row without a new event; last id ${lastId ?? 'none'}.`, { cause: dropped });
    }
    await sleep(Math.min(MAX_RECONNECT_DELAY_MS, delayMs * 2 ** (failures - 1)), options.signal);
  }
}

async function open(http: Http, target: StartRequest | { runId: string }, lastId: string | undefined, signal: AbortSignal): Promise<ReadableStream<Uint8Array>> {
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (lastId !== undefined) headers[HEADER.lastEventId] = lastId;
  const res =
    'runId' in target
      ? await http.send({ path: runEventsUrl(encodeURIComponent(target.runId)), headers, signal })
      : await http.send({
          method: 'POST',
          path: target.path,
          body: target.body,
          headers: { ...headers, [HEADER.idempotencyKey]: target.idempotencyKey },
          signal,
        });
  if (!res.headers.get('content-type')?.startsWith('text/event-stream') || !res.body) {
    await res.body?.cancel();
    throw new ChainportError({ code: 'unexpected_response', status: res.status, message: `Expected text/event-stream, got ${res.headers.get('content-type') ?? 'no body'}.` });
  }
  return res.body;
}

/**
 * The SSE messages of one response body, parsed by eventsource-parser; a half-received event is never
 * yielded. `onData` hears of every chunk, comments included: the connection is alive. When `signal`
 * aborts, the messages end: fetch errors its body then, but a body from elsewhere (a wrapping fetch,
 * a polyfill) may not, and a read that never settles would hold the stream forever.
 */
async function* messages(body: ReadableStream<Uint8Array>, signal: AbortSignal, onData: () => void): AsyncGenerator<EventSourceMessage, void, undefined> {
  const parsed: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (message) => parsed.push(message) });
  // A TextDecoder in stream mode rather than pipeThrough(TextDecoderStream): the DOM lib's types refuse
  // that pipe, and this file is compiled by browser projects as well as Node ones.
  const decoder = new TextDecoder();
  const reader = body.getReader();
  const stop = () => void reader.cancel(signal.reason).catch(() => undefined);
  signal.addEventListener('abort', stop, { once: true });
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      onData();
      parser.feed(decoder.decode(value, { stream: true }));
      yield* parsed.splice(0);
    }
  } finally {
    signal.removeEventListener('abort', stop);
    reader.cancel().catch(() => undefined);
  }
}

function toEvent(message: EventSourceMessage): RunStreamEvent {
  let data: unknown;
  try {
    data = JSON.parse(message.data);
  } catch {
    data = undefined;
  }
  if (!message.id || !message.event || typeof data !== 'object' || data === null) {
    throw new ChainportError({ code: 'unexpected_response', status: 200, message: `Not an event of a run's stream: ${JSON.stringify(message).slice(0, 200)}` });
  }
  // The server's pinned event shapes (src/runs/stream/events.ts): trusted, as every response body is.
  return { id: message.id, event: message.event, data } as RunStreamEvent;
}

/** Event ids name positions and order as number tuples: `6` < `6.1.21` < `6.2.0` < `8`. */
function compareIds(a: string, b: string): number {
  const [x, y] = [a, b].map((id) => {
    const [event = 0, attempt = 0, offset = 0] = id.split('.').map(Number);
    return [event, attempt, offset];
  }) as [number[], number[]];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}
