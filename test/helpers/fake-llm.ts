import { randomUUID } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** The wire format a request came in, by its path. */
export type FakeApi = 'chat' | 'responses' | 'anthropic';

const API_OF_PATH: Record<string, FakeApi> = {
  '/v1/chat/completions': 'chat',
  '/v1/responses': 'responses',
  '/v1/messages': 'anthropic',
};

/** An error as the provider describes it; each API wraps it in its own envelope. */
export interface FakeApiError {
  message: string;
  type: string;
  code: string | null;
}

/**
 * What the fake answers one request with, in the wire format of the API asked:
 * - `stream`: the chunks as text deltas, `delayMs` apart, then the end with usage; `finish: 'refusal'`
 *   ends it as a content-filter refusal (OpenAI finish_reason content_filter, Anthropic stop_reason refusal);
 * - `http-error`: a non-2xx JSON error response, with extra headers such as `retry-after`;
 * - `stream-error`: a 200 stream that sends `chunks`, then the API's error event, and ends;
 * - `stream-cut`: a 200 stream that sends `chunks`, then drops the connection.
 */
export type FakeStep =
  | { type: 'stream'; chunks: string[]; delayMs?: number; usage?: { input: number; output: number }; finish?: 'stop' | 'refusal' }
  | { type: 'http-error'; status: number; error?: Partial<FakeApiError>; headers?: Record<string, string> }
  | { type: 'stream-error'; chunks: string[]; error: FakeApiError; delayMs?: number }
  | { type: 'stream-cut'; chunks: string[]; delayMs?: number };

export interface FakeRequest {
  /** 0-based number of this request across the server's life. */
  index: number;
  api: FakeApi;
  /** The model asked for, as the body names it. */
  model: string;
  /** The user message's text and the system prompt's, whatever the API's message shape. */
  prompt: string;
  system: string | undefined;
  /** How many earlier requests had the same model and prompt: 0 for a run's first call of it, 1 for the next, … */
  repeat: number;
  /** How many earlier requests had the same prompt, whatever the model. */
  promptRepeat: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  receivedAt: number;
  /** The step the script chose. */
  step: FakeStep;
  /** Set once the response was fully written. */
  finishedAt?: number;
  /** Set when the client closed the connection before the response was complete. */
  abortedAt?: number;
  /** How many content chunks were written before the response finished or was aborted. */
  chunksSent: number;
}

/** A fixed list indexed by request number, or a function choosing the step from the request. */
export type FakeScript = FakeStep[] | ((request: Omit<FakeRequest, 'step' | 'chunksSent'>) => FakeStep);

export interface FakeLlm {
  /** Base URL with the `/v1` suffix, as OPENAI_BASE_URL, ANTHROPIC_BASE_URL and CHAINPORT_OPENAI_COMPATIBLE expect. */
  baseUrl: string;
  /** Every request received, in order. */
  requests: FakeRequest[];
  /** The requests for `model` (as the body names it), optionally only those with `prompt`. */
  callsFor(model: string, prompt?: string): FakeRequest[];
  close(): Promise<void>;
}

/**
 * A model server on 127.0.0.1 with a random port that speaks three streaming wire formats as the AI
 * SDK reads them: OpenAI Chat Completions (`POST /v1/chat/completions`, SSE chunks with usage when
 * `stream_options.include_usage`), the OpenAI Responses API (`POST /v1/responses`) and Anthropic
 * Messages (`POST /v1/messages`). It follows the script per request and records each one, with
 * whether the client hung up before the answer ended.
 */
export async function startFakeLlm(script: FakeScript): Promise<FakeLlm> {
  const requests: FakeRequest[] = [];
  const sockets = new Set<Socket>();

  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      void answer(req, res, Buffer.concat(parts).toString('utf8')).catch((err: unknown) => {
        if (!res.headersSent) sendError(res, 'chat', 500, { message: `fake server error: ${String(err)}`, type: 'server_error', code: null });
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
    const api = API_OF_PATH[path];
    if (req.method !== 'POST' || !api) {
      sendError(res, 'chat', 404, { message: `Unknown request URL: ${req.method} ${path}`, type: 'invalid_request_error', code: 'unknown_url' });
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      sendError(res, api, 400, { message: 'We could not parse the JSON body of your request.', type: 'invalid_request_error', code: null });
      return;
    }
    const model = String(body.model);
    const { prompt, system } = promptOf(api, body);
    const base = {
      index: requests.length,
      api,
      model,
      prompt,
      system,
      repeat: requests.filter((r) => r.prompt === prompt && r.model === model).length,
      promptRepeat: requests.filter((r) => r.prompt === prompt).length,
      method: req.method,
      path,
      headers: req.headers,
      body,
      receivedAt: Date.now(),
    };
    const step = typeof script === 'function' ? script(base) : script[base.index];
    const record: FakeRequest = {
      ...base,
      step: step ?? { type: 'http-error', status: 500, error: { message: `fake LLM: no step scripted for request ${base.index}` } },
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
        type: current.error?.type ?? defaultErrorType(api, current.status),
        code: current.error?.code ?? null,
      };
      sendError(res, api, current.status, error, current.headers);
      record.finishedAt = Date.now();
      return;
    }
    if (body.stream !== true) {
      sendError(res, api, 400, { message: 'This fake only streams: set stream to true.', type: 'invalid_request_error', code: null });
      record.finishedAt = Date.now();
      return;
    }

    const open = () => !res.destroyed && record.abortedAt === undefined;
    const wire = WIRES[api](body, model, (event, data) => {
      if (open()) res.write(`${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
    });
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-request-id': `req_${base.index}` });
    res.flushHeaders();
    const usage = (current.type === 'stream' && current.usage) || { input: countWords(`${system ?? ''} ${prompt}`) + 4, output: current.chunks.length };
    wire.start(usage);
    const delayMs = current.delayMs ?? 0;
    for (const content of current.chunks) {
      if (delayMs > 0) await pause(delayMs);
      if (!open()) return;
      wire.delta(content);
      record.chunksSent += 1;
    }
    if (delayMs > 0) await pause(delayMs);
    if (!open()) return;
    if (current.type === 'stream-cut') {
      res.socket?.destroy();
      return;
    }
    if (current.type === 'stream-error') wire.error(current.error);
    else wire.end(current.finish ?? 'stop', usage);
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
    callsFor: (model, prompt) => requests.filter((r) => r.model === model && (prompt === undefined || r.prompt === prompt)),
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

type Send = (event: string | undefined, data: unknown) => void;

interface Wire {
  start(usage: { input: number; output: number }): void;
  delta(text: string): void;
  end(finish: 'stop' | 'refusal', usage: { input: number; output: number }): void;
  error(error: FakeApiError): void;
}

/** Each API's stream events, as its real server sends them (only the fields the SDK reads, plus a few for realism). */
const WIRES: Record<FakeApi, (body: Record<string, unknown>, model: string, send: Send) => Wire> = {
  chat(body, model, send) {
    const id = `chatcmpl-${randomUUID().replace(/-/g, '').slice(0, 24)}`;
    const created = Math.floor(Date.now() / 1000);
    const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model: `${model}-2024-07-18`,
      system_fingerprint: 'fp_fake',
      choices,
      ...(includeUsage && { usage: null }),
      ...extra,
    });
    return {
      start: () => send(undefined, chunk([{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }])),
      delta: (content) => send(undefined, chunk([{ index: 0, delta: { content }, logprobs: null, finish_reason: null }])),
      end(finish, usage) {
        send(undefined, chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: finish === 'refusal' ? 'content_filter' : 'stop' }]));
        if (includeUsage) send(undefined, chunk([], { usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output } }));
        send(undefined, '[DONE]');
      },
      error: (error) => send(undefined, { error: { ...error, param: null } }),
    };
  },
  responses(_body, model, send) {
    const id = `resp_${randomUUID().replace(/-/g, '')}`;
    const itemId = `msg_${randomUUID().replace(/-/g, '')}`;
    const createdAt = Math.floor(Date.now() / 1000);
    let sequence = 0;
    let text = '';
    const event = (type: string, fields: Record<string, unknown>) => send(type, { type, sequence_number: sequence++, ...fields });
    // Like OpenAI, the answer names the dated model that served the request.
    const response = (status: string, extra: Record<string, unknown> = {}) => ({ id, object: 'response', created_at: createdAt, model: `${model}-2024-07-18`, status, output: [], ...extra });
    return {
      start() {
        event('response.created', { response: response('in_progress') });
        event('response.output_item.added', { output_index: 0, item: { type: 'message', id: itemId, status: 'in_progress', role: 'assistant', content: [] } });
      },
      delta(delta) {
        text += delta;
        event('response.output_text.delta', { item_id: itemId, output_index: 0, content_index: 0, delta, logprobs: [] });
      },
      end(finish, usage) {
        event('response.output_item.done', {
          output_index: 0,
          item: { type: 'message', id: itemId, status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] },
        });
        const usageBody = {
          input_tokens: usage.input,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: usage.output,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: usage.input + usage.output,
        };
        if (finish === 'refusal') event('response.incomplete', { response: response('incomplete', { incomplete_details: { reason: 'content_filter' }, usage: usageBody }) });
        else event('response.completed', { response: response('completed', { incomplete_details: null, usage: usageBody }) });
      },
      error: (error) => event('error', { code: error.code, message: error.message, param: null }),
    };
  },
  anthropic(_body, model, send) {
    const event = (type: string, fields: Record<string, unknown>) => send(type, { type, ...fields });
    return {
      start(usage) {
        const message = { id: `msg_${randomUUID().replace(/-/g, '')}`, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null };
        // The real API counts input here and output so far (1); message_delta carries the final output count.
        event('message_start', { message: { ...message, usage: { input_tokens: usage.input, output_tokens: 1 } } });
        event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
        event('ping', {});
      },
      delta: (text) => event('content_block_delta', { index: 0, delta: { type: 'text_delta', text } }),
      end(finish, usage) {
        event('content_block_stop', { index: 0 });
        event('message_delta', { delta: { stop_reason: finish === 'refusal' ? 'refusal' : 'end_turn', stop_sequence: null }, usage: { output_tokens: usage.output } });
        event('message_stop', {});
      },
      error: (error) => event('error', { error: { type: error.type, message: error.message } }),
    };
  },
};

function sendError(res: http.ServerResponse, api: FakeApi, status: number, error: FakeApiError, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(
    api === 'anthropic' ? { type: 'error', error: { type: error.type, message: error.message } } : { error: { message: error.message, type: error.type, param: null, code: error.code } },
  );
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function defaultErrorType(api: FakeApi, status: number): string {
  if (api !== 'anthropic') return status >= 500 ? 'server_error' : 'invalid_request_error';
  const types: Record<number, string> = { 401: 'authentication_error', 429: 'rate_limit_error', 529: 'overloaded_error' };
  return types[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

/** The user's text and the system prompt, from any of the three message shapes. */
function promptOf(api: FakeApi, body: Record<string, unknown>): { prompt: string; system: string | undefined } {
  const messages = (api === 'responses' ? body.input : body.messages) as Array<{ role: string; content: unknown }> | undefined;
  const textOf = (content: unknown): string =>
    typeof content === 'string' ? content : Array.isArray(content) ? content.map((part: { text?: string }) => part.text ?? '').join('') : '';
  const prompt = textOf(messages?.find((m) => m.role === 'user')?.content);
  const systemMessage = messages?.find((m) => m.role === 'system' || m.role === 'developer');
  const system = api === 'anthropic' ? (body.system === undefined ? undefined : textOf(body.system)) : systemMessage && textOf(systemMessage.content);
  return { prompt, system };
}

function countWords(text: string): number {
  return text.match(/\S+/g)?.length ?? 0;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
