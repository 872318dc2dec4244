import http from 'node:http';
import https from 'node:https';
import { HEADER } from '../api/wire.js';
import { retryAfterMs } from '../retry-after.js';
import { NON_PUBLIC_REFUSAL, describeNetworkError, guardedLookup, refusesLiteralHost } from './ssrf.js';
import type { ResolveHost } from './resolve.js';

/** Receivers' bodies are read only this far: enough for an error message, never echoed in full. */
const MAX_RESPONSE_BYTES = 4096;

export interface PostResult {
  statusCode: number | null;
  /** Retry-After in ms, when the receiver sent one. */
  retryAfterMs: number | undefined;
  error: string | null;
  durationMs: number;
}

/**
 * POSTs `body` once: no redirects followed, the connection refused for non-public addresses unless
 * allowed (checked on the resolved address), the exchange cut at `timeoutMs` or when `signal` aborts.
 */
export function postOnce(url: string, headers: Record<string, string>, body: string, opts: { timeoutMs: number; signal: AbortSignal; allowPrivate: boolean; resolve: ResolveHost }): Promise<PostResult> {
  const started = Date.now();
  const done = (statusCode: number | null, error: string | null, retryAfterMs?: number): PostResult => ({ statusCode, error, retryAfterMs, durationMs: Date.now() - started });
  const target = new URL(url);
  if (refusesLiteralHost(target, opts.allowPrivate)) return Promise.resolve(done(null, NON_PUBLIC_REFUSAL));
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  return new Promise((resolve) => {
    const client = target.protocol === 'https:' ? https : http;
    const request = client.request(target, {
      method: 'POST',
      headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      lookup: guardedLookup(opts.allowPrivate, opts.resolve),
      signal: AbortSignal.any([opts.signal, timeout]),
    });
    request.once('response', (response) => {
      let read = 0;
      response.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_RESPONSE_BYTES) response.destroy();
      });
      const finish = () => {
        const statusCode = response.statusCode ?? null;
        const ok = statusCode !== null && statusCode >= 200 && statusCode < 300;
        resolve(done(statusCode, ok ? null : `receiver answered ${statusCode}`, retryAfterMs(response.headers[HEADER.retryAfter])));
      };
      response.once('end', finish);
      response.once('close', finish);
    });
    request.once('error', (err) => {
      const timedOut = timeout.aborted && !opts.signal.aborted;
      resolve(done(null, timedOut ? `no answer within ${opts.timeoutMs} ms` : describeNetworkError(err)));
    });
    request.end(body);
  });
}
