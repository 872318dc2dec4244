// Verifies Chainport's Standard Webhooks signature with WebCrypto, so it runs in Node 22+, browsers and
// edge runtimes alike. The key rule is the one src/webhooks/sign.ts signs with (that module uses
// node:crypto, so it is restated here; a unit test signs with it and verifies with this).
import { WEBHOOK_HEADER } from '../webhooks/wire.js';
import type { WebhookPayload } from './types.js';

/** Header names of the delivery signature. */
export { WEBHOOK_HEADER };

/** Why a delivery was refused; answer it with a 4xx (Chainport retries, so a real delivery gets another chance). */
export type WebhookRejection = 'missing_header' | 'bad_timestamp' | 'outside_tolerance' | 'bad_signature' | 'bad_body';

export class WebhookVerificationError extends Error {
  override name = 'WebhookVerificationError';
  constructor(
    readonly reason: WebhookRejection,
    message: string,
  ) {
    super(message);
  }
}

/** Request headers as Fetch (`Headers`), Node (`req.headers`), Koa, Express and Fastify give them. */
export type HeadersLike = Headers | Record<string, string | string[] | undefined>;

export interface VerifyOptions {
  /** Seconds `webhook-timestamp` may be from `now`, either way; older deliveries may be replays. Default 300. */
  toleranceS?: number;
  /** The time to check against (tests, clock-skew tooling). Default: now. */
  now?: Date;
}

const PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const encoder = new TextEncoder();

/**
 * Checks a delivery's Standard Webhooks signature (`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`,
 * any of several space-separated ones) over the exact bytes received, and that its timestamp is within
 * `toleranceS` of now; resolves with the parsed payload, or rejects with WebhookVerificationError.
 * `rawBody` must be the body as received: re-serialised JSON does not verify.
 *
 * Use this, not `X-Webhook-Signature`, to reject replays: that header signs the body alone, so a
 * captured delivery replays with it forever; this signature also covers webhook-id and webhook-timestamp.
 * Keep the webhook-ids you accepted for at least `toleranceS` and refuse a repeat.
 */
export async function verifyWebhook(secret: string, headers: HeadersLike, rawBody: string | Uint8Array, options: VerifyOptions = {}): Promise<WebhookPayload> {
  const { toleranceS = 300, now = new Date() } = options;
  const id = header(headers, WEBHOOK_HEADER.id);
  const timestamp = header(headers, WEBHOOK_HEADER.timestamp);
  const signatures = header(headers, WEBHOOK_HEADER.signature);
  if (!id || !timestamp || !signatures) {
    throw new WebhookVerificationError('missing_header', 'The delivery lacks webhook-id, webhook-timestamp or webhook-signature.');
  }
  if (!/^\d{1,15}$/.test(timestamp)) throw new WebhookVerificationError('bad_timestamp', `webhook-timestamp "${timestamp.slice(0, 20)}" is not unix seconds.`);
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > toleranceS) {
    throw new WebhookVerificationError('outside_tolerance', `webhook-timestamp ${timestamp} is more than ${toleranceS} s from now: an old or replayed delivery.`);
  }

  const body = typeof rawBody === 'string' ? encoder.encode(rawBody) : rawBody;
  const signed = concat(encoder.encode(`${id}.${timestamp}.`), body);
  const key = await crypto.subtle.importKey('raw', standardWebhooksKey(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  let verified = false;
  for (const entry of signatures.split(' ')) {
    const signature = entry.startsWith('v1,') ? decodeBase64(entry.slice(3)) : undefined;
    // subtle.verify compares in constant time.
    if (signature && (await crypto.subtle.verify('HMAC', key, signature, signed))) verified = true;
  }
  if (!verified) throw new WebhookVerificationError('bad_signature', 'No v1 signature matches this body with this secret.');

  try {
    return JSON.parse(new TextDecoder().decode(body)) as WebhookPayload;
  } catch {
    throw new WebhookVerificationError('bad_body', 'The signed body is not JSON.');
  }
}

/**
 * The HMAC key, by the rule of src/webhooks/sign.ts: for `whsec_` + canonical base64, the decoded
 * bytes (as the Standard Webhooks spec says); any other secret, its UTF-8 bytes, whole.
 */
function standardWebhooksKey(secret: string): Uint8Array<ArrayBuffer> {
  if (secret.startsWith(PREFIX)) {
    const rest = secret.slice(PREFIX.length);
    if (rest.length > 0 && rest.length % 4 === 0 && BASE64.test(rest)) {
      const bytes = decodeBase64(rest);
      if (bytes && encodeBase64(bytes) === rest) return bytes;
    }
  }
  return encoder.encode(secret);
}

function header(headers: HeadersLike, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value.join(' ') : value;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

function encodeBase64(bytes: Uint8Array): string {
  return btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(''));
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
