// Wire names of a webhook delivery, defined once: the signer (./sign.ts) writes these headers, the
// typed client's verifier reads them and `chainport webhooks listen` forwards them. Constants only:
// the client, which browsers compile too, imports this file.

export const WEBHOOK_HEADER = {
  /** The delivery id: the same on every attempt and redelivery, so receivers can drop repeats. */
  id: 'webhook-id',
  /** Unix seconds of this attempt; covered by the signature. */
  timestamp: 'webhook-timestamp',
  /** Standard Webhooks: `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`. */
  signature: 'webhook-signature',
  /** `sha256=<hex HMAC-SHA256 of the body>`, for receivers without Standard Webhooks support. */
  bodySignature: 'x-webhook-signature',
} as const;
