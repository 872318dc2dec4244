// chainport/client: the typed client of the Chainport API (v1), for Node 22+ and browsers (fetch,
// WebCrypto, eventsource-parser). Its types are inferred from the server's own zod schemas.
export {
  Chainport,
  type ChainportOptions,
  type RerunBatchOptions,
  type RerunOptions,
  type RunOptions,
  type StartOptions,
  type StreamAttachOptions,
  type StreamRerunOptions,
  type StreamStartOptions,
} from './chainport.js';
export { ChainportError, type ChainportErrorCode } from './errors.js';
export type { RetryOptions } from './http.js';
export type { ReconnectOptions } from './stream.js';
export type {
  Chain,
  ChainInput,
  Delivery,
  ListFilter,
  Problem,
  RerunBatch,
  RerunBatchAccepted,
  RerunBatchFilter,
  RerunOf,
  RerunStart,
  Run,
  RunAgent,
  RunAccepted,
  RunPage,
  RunStatus,
  RunStreamEvent,
  RunSummary,
  WebhookOptions,
  WebhookPayload,
} from './types.js';
export { WEBHOOK_HEADER, WebhookVerificationError, verifyWebhook, type HeadersLike, type VerifyOptions, type WebhookRejection } from './webhooks.js';
