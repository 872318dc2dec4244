import type { Context } from 'koa';

/** One Server-Sent Event. `data` may span lines; `id` and `event` may not. */
export interface SseMessage {
  id: string;
  event: string;
  data: string;
}

export interface SseOptions {
  /** A `: keep-alive` comment goes out after this much silence, so proxies and clients keep the connection. */
  keepAliveMs?: number;
  /** A client this far behind (bytes queued in our socket) is dropped; it can resume with Last-Event-ID. */
  maxBufferedBytes: number;
}

/** Why a stream ended: the client went away, or the server closed it (run ended, shutdown, slow client). */
export type SseEnd = 'client' | 'server';

export interface SseStream {
  /** Writes one event; ignored once the stream has ended. */
  send(message: SseMessage): void;
  /** Ends the stream from the server side, with a last comment line when one is given. */
  close(comment?: string): void;
  /** Resolves once the stream has ended, saying who ended it. */
  readonly done: Promise<SseEnd>;
}

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  // no-transform: proxies must not compress or rewrite the stream.
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  // nginx (and proxies that follow it) pass the response through unbuffered.
  'x-accel-buffering': 'no',
} as const;

const LINE_BREAK = /\r\n|\r|\n/;

/** The wire form of one event: `id:`, `event:`, one `data:` line per line of data, and a blank line. */
export function formatSse({ id, event, data }: SseMessage): string {
  if (!id || LINE_BREAK.test(id)) throw new TypeError(`An SSE id must be one non-empty line: ${JSON.stringify(id)}`);
  if (!event || LINE_BREAK.test(event)) throw new TypeError(`An SSE event name must be one non-empty line: ${JSON.stringify(event)}`);
  return `id: ${id}\nevent: ${event}\n${data.split(LINE_BREAK).map((line) => `data: ${line}\n`).join('')}\n`;
}

/**
 * The one SSE writer every stream route uses. It answers 200 with the stream headers at once, takes
 * the response away from Koa (so no middleware touches the body), writes events and keep-alive
 * comments, and ends cleanly — timer cleared — when either side closes. Throw errors before calling
 * it: afterwards the status is sent and only events can follow.
 */
export function openSse(ctx: Context, { keepAliveMs = 15_000, maxBufferedBytes }: SseOptions): SseStream {
  const res = ctx.res;
  // The status tells the error middleware this request was answered; respond=false keeps Koa off the body.
  ctx.status = 200;
  ctx.respond = false;
  res.writeHead(200, SSE_HEADERS);
  res.flushHeaders();
  ctx.req.socket.setNoDelay(true);

  let lastWrite = Date.now();
  let ended: SseEnd | undefined;
  let keepAlive: NodeJS.Timeout | undefined;
  let resolveDone: (end: SseEnd) => void = () => undefined;
  const done = new Promise<SseEnd>((resolve) => (resolveDone = resolve));

  const finish = (by: SseEnd) => {
    if (ended) return;
    ended = by;
    clearTimeout(keepAlive);
    res.off('close', onClose);
    resolveDone(by);
  };
  const onClose = () => finish('client');
  const close = (comment?: string) => {
    if (ended) return;
    if (comment !== undefined) res.write(`: ${comment.replace(/[\r\n]+/g, ' ')}\n\n`);
    finish('server');
    res.end();
  };
  const write = (text: string) => {
    if (ended) return;
    lastWrite = Date.now();
    res.write(text);
    if (res.writableLength > maxBufferedBytes) close();
  };
  // Re-armed from the last write, so a comment goes out only after keepAliveMs of silence.
  const tick = () => {
    const silentFor = Date.now() - lastWrite;
    if (silentFor >= keepAliveMs) write(': keep-alive\n\n');
    if (!ended) keepAlive = setTimeout(tick, silentFor >= keepAliveMs ? keepAliveMs : keepAliveMs - silentFor);
  };

  res.on('close', onClose);
  keepAlive = setTimeout(tick, keepAliveMs);
  // A client that left while the request was being handled has no 'close' event left to give.
  if (ctx.req.socket.destroyed) finish('client');

  return { send: (message) => write(formatSse(message)), close, done };
}
