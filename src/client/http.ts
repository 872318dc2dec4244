import { HEADER } from '../api/wire.js';
import { ChainportError, errorFromResponse } from './errors.js';

/** How the client retries 429 and 503 answers. */
export interface RetryOptions {
  /** Retries after the first attempt; 0 turns retrying off. Default 2. */
  maxRetries?: number;
  /** A `Retry-After` longer than this is not waited for: the error is thrown at once, `retryAfter` set. Default 60. */
  maxDelayS?: number;
}

export interface HttpOptions {
  baseUrl: string;
  apiKey: string;
  /** A fetch to use instead of the global one (instrumentation, proxies, tests). */
  fetch?: typeof fetch;
  retry?: RetryOptions;
}

export interface HttpRequest {
  method?: 'GET' | 'POST';
  /** The route's path, `/api/v1/…` (the wire module's builders). */
  path: string;
  query?: Record<string, string | number | undefined>;
  /** Sent as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
}

/** Over a limit, or Temporal briefly unreachable: worth another try after `Retry-After`. */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 503]);
/** Without a `Retry-After`, retries wait 1 s, then 2 s, 4 s, … */
const FALLBACK_DELAY_S = 1;

/**
 * fetch with the API key, JSON in and out, problem+json answers turned into ChainportError, and
 * 429/503 retried after the server's `Retry-After`. Safe to repeat: a 429 was refused before anything
 * happened, and every run-starting call carries an Idempotency-Key, so a retry never starts a second run.
 */
export class Http {
  readonly #baseUrl: string;
  readonly #apiKey: string;
  readonly #fetch: typeof fetch;
  readonly #maxRetries: number;
  readonly #maxDelayS: number;

  constructor(options: HttpOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#apiKey = options.apiKey;
    // Looked up per call and never detached from globalThis (browsers refuse a fetch called on another `this`).
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#maxRetries = options.retry?.maxRetries ?? 2;
    this.#maxDelayS = options.retry?.maxDelayS ?? 60;
  }

  /** Sends the request and answers the 2xx response, body unread; throws ChainportError otherwise. */
  async send(request: HttpRequest): Promise<Response> {
    const url = this.#url(request);
    const headers: Record<string, string> = { [HEADER.authorization]: `Bearer ${this.#apiKey}`, accept: 'application/json', ...request.headers };
    let body: string | undefined;
    if (request.body !== undefined) {
      body = JSON.stringify(request.body);
      headers['content-type'] = 'application/json';
    }
    for (let retry = 0; ; retry++) {
      const res = await this.#fetch(url, { method: request.method ?? (body === undefined ? 'GET' : 'POST'), headers, body, signal: request.signal });
      if (res.ok) return res;
      const error = await errorFromResponse(res);
      if (!RETRYABLE_STATUSES.has(res.status) || retry >= this.#maxRetries) throw error;
      const delayS = error.retryAfter ?? FALLBACK_DELAY_S * 2 ** retry;
      if (delayS > this.#maxDelayS) throw error;
      await sleep(delayS * 1000, request.signal);
    }
  }

  /** Sends the request and parses the JSON body of its 2xx answer. */
  async json<T>(request: HttpRequest): Promise<{ body: T; response: Response }> {
    const response = await this.send(request);
    const text = await response.text();
    try {
      return { body: JSON.parse(text) as T, response };
    } catch {
      throw new ChainportError({ code: 'unexpected_response', status: response.status, message: `HTTP ${response.status} with a body that is not JSON: ${text.slice(0, 200)}` });
    }
  }

  #url({ path, query = {} }: HttpRequest): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
    const search = params.toString();
    return `${this.#baseUrl}${path}${search && `?${search}`}`;
  }
}

/**
 * Waits `ms`, or rejects with the signal's reason as soon as it aborts; the timer never outlives it.
 * Not node:timers/promises: browsers compile the client too.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
