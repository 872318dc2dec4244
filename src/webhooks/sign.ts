import { createHmac, randomBytes } from 'node:crypto';
import { WEBHOOK_HEADER } from './wire.js';

const PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** A new secret: `whsec_` + base64 of 32 random bytes, as Standard Webhooks libraries expect. */
export function generateSecret(): string {
  return `${PREFIX}${randomBytes(32).toString('base64')}`;
}

/**
 * The HMAC key for the Standard Webhooks signature. For `whsec_<base64>` it is the decoded bytes,
 * as the spec says. Any other secret a caller chooses (one without the prefix, or whose rest is not
 * canonical base64) is used as its UTF-8 bytes, whole — one rule, documented in the README.
 */
export function standardWebhooksKey(secret: string): Buffer {
  if (secret.startsWith(PREFIX)) {
    const rest = secret.slice(PREFIX.length);
    if (rest.length > 0 && rest.length % 4 === 0 && BASE64.test(rest)) {
      const bytes = Buffer.from(rest, 'base64');
      if (bytes.toString('base64') === rest) return bytes;
    }
  }
  return Buffer.from(secret, 'utf8');
}

/** Headers that sign exactly `body`: Standard Webhooks (`webhook-*`) and `X-Webhook-Signature: sha256=<hex>` (names in ./wire.ts). */
export function signatureHeaders(secret: string, webhookId: string, timestampS: number, body: string): Record<string, string> {
  const v1 = createHmac('sha256', standardWebhooksKey(secret)).update(`${webhookId}.${timestampS}.${body}`).digest('base64');
  const sha256 = createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest('hex');
  return {
    [WEBHOOK_HEADER.id]: webhookId,
    [WEBHOOK_HEADER.timestamp]: String(timestampS),
    [WEBHOOK_HEADER.signature]: `v1,${v1}`,
    [WEBHOOK_HEADER.bodySignature]: `sha256=${sha256}`,
  };
}
