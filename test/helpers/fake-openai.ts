import { randomUUID } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** The OpenAI error object, as the real API sends it in `{"error": {...}}`. */
export interface FakeApiError {
  message: string;
  type: string;
  code: string | null;
}

/**
 * What the fake answers one request with:
 * - `stream`: the chunks as `chat.completion.chunk` deltas, `delayMs` apart (a large delay makes a slow stream);
 * - `http-error`: a non-2xx JSON error response, with extra headers such as `retry-after`;
 * - `stream-error`: a 200 stream that sends `chunks`, then `data: {"error": ...}` and ends without `[DONE]`.
 */
export type FakeStep =
  | { type: 'stream'; chunks: string[]; delayMs?: number; usage?: { prompt_tokens: number; completion_tokens: number } }
  | { type: 'http-error'; status: number; error?: Partial<FakeApiError>; headers?: Record<string, string> }
  | { type: 'stream-error'; chunks: string[]; error: FakeApiError; delayMs?: number };

export interface ChatMessage {
  role: string;
  content: string;
}

/** The parts of a Chat Completions request body the fake reads; `raw` holds the whole parsed body. */
export interface ChatRequestBody {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  response_format?: { type: string };
  temperature?: number;
  max_tokens?: number;
  [key: string]: unknown;
}

export interface FakeRequest {
  /** 0-based number of this request across the server's life. */
  index: number;
  /** How many earlier requests had the same messages: 0 for a run's first attempt, 1 for its retry, … */
  repeat: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: ChatRequestBody;
  receivedAt: number;
  /** The step the script chose. */
  step: FakeStep;
  /** Set once the response was fully written (for streams: after `[DONE]` or the error event). */
  finishedAt?: number;
  /** Set when the client closed the connection before the response was complete. */
  abortedAt?: number;
  /** How many content chunks were written before the response finished or was aborted. */
  chunksSent: number;
}

/** A fixed list indexed by request number, or a function choosing the step from the request. */
export type FakeScript = FakeStep[] | ((request: Omit<FakeRequest, 'step' | 'chunksSent'>) => FakeStep);

export interface FakeOpenAI {
  /** Base URL with the `/v1` suffix, as OPENAI_BASE_URL expects. */
  baseUrl: string;
  /** Every request received, in order. */
  requests: FakeRequest[];
  close(): Promise<void>;
}

const MODEL_SUFFIX = '-2024-07-18';

/**
 * An OpenAI-compatible Chat Completions server on 127.0.0.1 with a random port. It answers
 * `POST /v1/chat/completions` by following the script, streaming Server-Sent Events the way the real
 * API does, and records each request with whether the client hung up before the answer ended.
 */
export async function startFakeOpenAI(script: FakeScript): Promise<FakeOpenAI> {
  const requests: FakeRequest[] = [];
  const sockets = new Set<Socket>();

  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      void answer(req, res, Buffer.concat(parts).toString('utf8')).catch((err: unknown) => {
        if (!res.headersSent) sendError(res, 500, { message: `fake server error: ${String(err)}`, type: 'server_error', code: null });
        else res.destroy();
      });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function answer(req: http.IncomingMessage, res: http.ServerResponse, text: string): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      sendError(res, 404, { message: `Unknown request URL: ${req.method} ${path}`, type: 'invalid_request_error', code: 'unknown_url' });
      return;
    }
    let body: ChatRequestBody;
    try {
      body = JSON.parse(text) as ChatRequestBody;
    } catch {
      sendError(res, 400, { message: 'We could not parse the JSON body of your request.', type: 'invalid_request_error', code: null });
      return;
    }
    const messagesKey = JSON.stringify(body.messages);
    const base = {
      index: requests.length,
      repeat: requests.filter((r) => JSON.stringify(r.body.messages) === messagesKey).length,
      method: req.method,
      path,
      headers: req.headers,
      body,
      receivedAt: Date.now(),
    };
    const step = typeof script === 'function' ? script(base) : script[base.index];
    const record: FakeRequest = {
      ...base,
      step: step ?? { type: 'http-error', status: 500, error: { message: `fake OpenAI: no step scripted for request ${base.index}` } },
      chunksSent: 0,
    };
    requests.push(record);
    res.on('close', () => {
      if (!res.writableFinished && record.finishedAt === undefined) record.abortedAt = Date.now();
    });

    const current = record.step;
    if (current.type === 'http-error') {
      const error: FakeApiError = {
        message: current.error?.message ?? `fake error ${current.status}`,
        type: current.error?.type ?? (current.status >= 500 ? 'server_error' : 'invalid_request_error'),
        code: current.error?.code ?? null,
      };
      sendError(res, current.status, error, current.headers);
      record.finishedAt = Date.now();
      return;
    }

    const id = `chatcmpl-${randomUUID().replace(/-/g, '').slice(0, 24)}`;
    const created = Math.floor(Date.now() / 1000);
    const model = `${body.model}${MODEL_SUFFIX}`;
    const includeUsage = body.stream_options?.include_usage === true;
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        system_fingerprint: 'fp_fake',
        choices,
        ...(includeUsage && { usage: null }),
        ...extra,
      });
    const open = () => !res.destroyed && record.abortedAt === undefined;
    const send = (data: string) => {
      if (open()) res.write(`data: ${data}\n\n`);
    };
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    if (body.stream !== true) {
      sendError(res, 400, { message: 'This fake only streams: set stream to true.', type: 'invalid_request_error', code: null });
      record.finishedAt = Date.now();
      return;
    }

    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-request-id': `req_${base.index}`,
    });
    res.flushHeaders();
    send(chunk([{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }]));
    const delayMs = current.delayMs ?? 0;
    for (const content of current.chunks) {
      if (delayMs > 0) await pause(delayMs);
      if (!open()) return;
      send(chunk([{ index: 0, delta: { content }, logprobs: null, finish_reason: null }]));
      record.chunksSent += 1;
    }
    if (delayMs > 0) await pause(delayMs);
    if (!open()) return;

    if (current.type === 'stream-error') {
      send(JSON.stringify({ error: current.error }));
      record.finishedAt = Date.now();
      res.end();
      return;
    }

    send(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]));
    if (includeUsage) {
      const usage = current.usage ?? { prompt_tokens: countTokens(body.messages), completion_tokens: current.chunks.length };
      send(chunk([], { usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } }));
    }
    send('[DONE]');
    record.finishedAt = Date.now();
    res.end();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

function sendError(res: http.ServerResponse, status: number, error: FakeApiError, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ error: { message: error.message, type: error.type, param: null, code: error.code } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** A rough token count (words), enough for usage numbers that look real. */
function countTokens(messages: ChatMessage[]): number {
  return messages.reduce((sum, m) => sum + (String(m.content).match(/\S+/g)?.length ?? 0) + 4, 0);
}
