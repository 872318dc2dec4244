import http from 'node:http';
import https from 'node:https';
import { NON_PUBLIC_REFUSAL, guardedLookup, refusesLiteralHost } from '../../webhooks/ssrf.js';
import { systemResolve } from '../../webhooks/resolve.js';
import { HEADER } from '../../api/wire.js';

export interface HttpAnswer {
  status: number;
  contentType: string;
  retryAfter: string | undefined;
  body: string;
}

/** The body grew past the cap; reading stopped there. */
export class ResponseTooLargeError extends Error {
  override name = 'ResponseTooLargeError';
}

export interface SendOptions {
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
  signal: AbortSignal;
  /** Lets this one connection reach loopback and private addresses (the host is on the operator's allow-list). */
  allowPrivate: boolean;
  maxBytes: number;
}

/**
 * Sends one request and reads the answer as text. Redirects are not followed. Non-public addresses
 * are refused on the address actually dialled (an `ESSRF` error), so DNS rebinding cannot get round
 * it. The body is read only up to `maxBytes`: past that the connection is cut, so an endless answer
 * costs the worker nothing.
 */
export function send(url: URL, options: SendOptions): Promise<HttpAnswer> {
  if (refusesLiteralHost(url, options.allowPrivate)) return Promise.reject(Object.assign(new Error(NON_PUBLIC_REFUSAL), { code: 'ESSRF' }));
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const request = client.request(url, {
      method: options.method,
      headers: options.body === undefined ? options.headers : { ...options.headers, 'content-length': Buffer.byteLength(options.body) },
      lookup: guardedLookup(options.allowPrivate, systemResolve),
      signal: options.signal,
    });
    const tooLarge = () => {
      request.destroy();
      reject(new ResponseTooLargeError(`Response exceeds the ${options.maxBytes}-byte cap`));
    };
    request.once('error', reject);
    request.once('response', (response) => {
      if (Number(response.headers['content-length']) > options.maxBytes) return tooLarge();
      const chunks: Buffer[] = [];
      let read = 0;
      response.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > options.maxBytes) return tooLarge();
        chunks.push(chunk);
      });
      response.once('error', reject);
      response.once('close', () => {
        if (!response.complete) return reject(Object.assign(new Error('response cut off'), { code: 'ECONNRESET' }));
        resolve({
          status: response.statusCode ?? 0,
          contentType: response.headers['content-type'] ?? '',
          retryAfter: response.headers[HEADER.retryAfter],
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    request.end(options.body);
  });
}
