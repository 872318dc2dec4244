import { z } from 'zod';
import { durationMs } from '../../durations.js';
import { NonRetryableAgentError, RetryableAgentError } from '../../errors.js';
import { defineAgentKind } from './kind.js';

/** Cap on a response body we read, so a runaway endpoint cannot exhaust the worker's memory. */
const MAX_RESPONSE_BYTES = 5 * 1024 * 1024;
const ENV_REFERENCE = /\$\{([A-Z_][A-Z0-9_]*)\}/g;

/**
 * Calls an HTTP endpoint with a templated JSON body and returns its JSON (or text) response. `${NAME}`
 * in `url` and `headers` is read from the worker's environment at call time, so secrets never enter
 * workflow history. 5xx, 429 and network errors are retried; other 4xx are not.
 */
export const httpAgent = defineAgentKind({
  name: 'http',
  with: z
    .object({
      url: z.string().min(1),
      method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
      headers: z.record(z.string(), z.string()).default({}),
      body: z.unknown().optional(),
      timeout: durationMs.prefault('30s'),
      cost: z.number().nonnegative().default(0),
    })
    .strict(),
  async run({ with: opts, signal, emit, addUsage }) {
    const url = fromEnv(opts.url, 'url');
    const headers: Record<string, string> = { accept: 'application/json' };
    for (const [name, value] of Object.entries(opts.headers)) headers[name.toLowerCase()] = fromEnv(value, `headers.${name}`);
    const hasBody = opts.body !== undefined && opts.method !== 'GET';
    if (hasBody) headers['content-type'] ??= 'application/json';
    let response: Response;
    try {
      response = await fetch(url, {
        method: opts.method,
        headers,
        body: hasBody ? JSON.stringify(opts.body) : undefined,
        redirect: 'error',
        signal: AbortSignal.any([signal, AbortSignal.timeout(opts.timeout)]),
      });
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      throw new RetryableAgentError(`HTTP ${opts.method} ${url} failed: ${(err as Error).message}`, 'http_unreachable');
    }
    const text = await readCapped(response);
    if (!response.ok) {
      const message = `HTTP ${opts.method} ${url} answered ${response.status}: ${text.slice(0, 200)}`;
      if (response.status >= 500 || response.status === 429 || response.status === 408) {
        const retryAfter = Number(response.headers.get('retry-after'));
        throw new RetryableAgentError(message, 'http_error', Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined);
      }
      throw new NonRetryableAgentError(message, 'http_rejected');
    }
    emit(text);
    addUsage({ cost: opts.cost });
    const isJson = (response.headers.get('content-type') ?? '').includes('json');
    if (!isJson) return { output: text };
    try {
      return { output: JSON.parse(text) as unknown };
    } catch {
      throw new RetryableAgentError(`HTTP ${opts.method} ${url} sent invalid JSON`, 'http_invalid_json');
    }
  },
});

function fromEnv(template: string, field: string): string {
  return template.replace(ENV_REFERENCE, (_match, name: string) => {
    const value = process.env[name];
    if (value === undefined) throw new NonRetryableAgentError(`${field} references \${${name}}, which is not set in the worker's environment`, 'http_config');
    return value;
  });
}

async function readCapped(response: Response): Promise<string> {
  const length = Number(response.headers.get('content-length'));
  if (length > MAX_RESPONSE_BYTES) throw new NonRetryableAgentError(`Response of ${length} bytes exceeds the ${MAX_RESPONSE_BYTES}-byte cap`, 'http_too_large');
  const body = await response.arrayBuffer();
  if (body.byteLength > MAX_RESPONSE_BYTES) throw new NonRetryableAgentError(`Response exceeds the ${MAX_RESPONSE_BYTES}-byte cap`, 'http_too_large');
  return new TextDecoder().decode(body);
}
