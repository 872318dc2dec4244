import assert from 'node:assert/strict';
import { createParser } from 'eventsource-parser';

/** One event as a client received it: the raw fields, the parsed JSON data and when it arrived. */
export interface ReceivedEvent {
  id: string | undefined;
  event: string | undefined;
  /** The `data:` text as the parser joined it (more than one line would show as `\n`). */
  raw: string;
  data: Record<string, unknown>;
  at: number;
}

export interface SseSession {
  status: number;
  headers: Headers;
  events: ReceivedEvent[];
  /** Comment lines (`: keep-alive`), without the colon, with arrival times. */
  comments: Array<{ text: string; at: number }>;
  /** The id of the last event received, as a browser's EventSource would send it on reconnect. */
  readonly lastEventId: string | undefined;
  /** Resolves when the stream has ended, whoever ended it. */
  done: Promise<void>;
  /** Resolves with the first received event (past or future) that matches. */
  waitFor(match: (event: ReceivedEvent) => boolean, timeoutMs?: number): Promise<ReceivedEvent>;
  /** The client goes away: the connection is dropped mid-stream. */
  abort(): void;
}

export interface OpenStreamOptions {
  method?: 'GET' | 'POST';
  body?: unknown;
  headers?: Record<string, string>;
  /** Sent as the Last-Event-ID header. */
  lastEventId?: string;
  /** Called with each event as it is parsed; `abort` drops the connection right there (as `SseSession.abort`). */
  onEvent?: (event: ReceivedEvent, abort: () => void) => void;
  /** Give up (a network error) when the response headers have not arrived this long after the request. */
  openTimeoutMs?: number;
}

/** The server answered something other than `200 text/event-stream`: `status` says what. */
export class StreamRefusedError extends Error {
  override name = 'StreamRefusedError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Opens a Server-Sent Events stream with fetch and parses it with eventsource-parser, recording every
 * event and comment. Fails with StreamRefusedError when the answer is not `200 text/event-stream`.
 */
export async function openStream(url: string, options: OpenStreamOptions = {}): Promise<SseSession> {
  const controller = new AbortController();
  const headers: Record<string, string> = { accept: 'text/event-stream', ...options.headers };
  if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  const openTimer = options.openTimeoutMs === undefined ? undefined : setTimeout(() => controller.abort(), options.openTimeoutMs);
  const res = await fetch(url, { method: options.method ?? (body === undefined ? 'GET' : 'POST'), headers, body, signal: controller.signal }).finally(() =>
    clearTimeout(openTimer),
  );
  if (res.status !== 200 || !res.headers.get('content-type')?.startsWith('text/event-stream') || !res.body) {
    throw new StreamRefusedError(res.status, `expected 200 text/event-stream, got ${res.status} ${res.headers.get('content-type')}: ${await res.text()}`);
  }

  const events: ReceivedEvent[] = [];
  const comments: SseSession['comments'] = [];
  const waiters = new Set<{ match: (event: ReceivedEvent) => boolean; resolve: (event: ReceivedEvent) => void }>();
  const parser = createParser({
    onEvent(message) {
      const event: ReceivedEvent = { id: message.id, event: message.event, raw: message.data, data: JSON.parse(message.data) as Record<string, unknown>, at: Date.now() };
      events.push(event);
      for (const waiter of waiters) if (waiter.match(event)) waiter.resolve(event);
      options.onEvent?.(event, () => controller.abort());
    },
    onComment(text) {
      comments.push({ text: text.trim(), at: Date.now() });
    },
  });

  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  // The abort errors fetch's body, and through the pipe this reader's read; cancelling it as well
  // settles `done` even if that error never comes through (the load test once saw a stream hang so).
  controller.signal.addEventListener('abort', () => void reader.cancel().catch(() => undefined), { once: true });
  const done = (async () => {
    try {
      for (;;) {
        const { value, done: finished } = await reader.read();
        if (finished) return;
        parser.feed(value);
      }
    } catch (err) {
      if (!controller.signal.aborted) throw err;
    }
  })();

  return {
    status: res.status,
    headers: res.headers,
    events,
    comments,
    get lastEventId() {
      return events.at(-1)?.id;
    },
    done,
    waitFor(match, timeoutMs = 20_000) {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = {
          match,
          resolve: (event: ReceivedEvent) => {
            clearTimeout(timer);
            waiters.delete(waiter);
            resolve(event);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching event within ${timeoutMs} ms; got: ${events.map((e) => `${e.id} ${e.event}`).join(', ')}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    abort() {
      controller.abort();
    },
  };
}

/** An agent's output as a client assembles it: chunks in order, restarting whenever the agent retries. */
export function agentTexts(events: readonly ReceivedEvent[]): Map<number, string> {
  const texts = new Map<number, string>();
  for (const { event, data } of events) {
    if (event === 'agent.retrying') texts.set(data.index as number, '');
    if (event === 'agent.output') texts.set(data.index as number, (texts.get(data.index as number) ?? '') + (data.chunk as string));
  }
  return texts;
}

/**
 * Asserts that the agent's last attempt (after its last agent.retrying) reached the client as
 * `text`, each character exactly once: every chunk starts where the previous one ended. Returns those
 * chunks' events.
 */
export function assertExactOutput(events: readonly ReceivedEvent[], index: number, text: string): ReceivedEvent[] {
  const own = events.filter((e) => e.data.index === index);
  const lastRetry = own.findLastIndex((e) => e.event === 'agent.retrying');
  const chunks = own.slice(lastRetry + 1).filter((e) => e.event === 'agent.output');
  let end = 0;
  for (const chunk of chunks) {
    assert.equal(chunk.data.offset, end, `chunk ${chunk.id} starts where the previous one ended (${end})`);
    end += (chunk.data.chunk as string).length;
    assert.equal(Number(chunk.id!.split('.').at(-1)), end, `chunk ${chunk.id}'s id names its end`);
  }
  assert.equal(chunks.map((c) => c.data.chunk as string).join(''), text);
  return chunks;
}
