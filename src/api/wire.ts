// Wire names defined once: header names, route prefixes and link builders clients depend on.

export const HEADER = {
  requestId: 'x-request-id',
  idempotencyKey: 'idempotency-key',
  authorization: 'authorization',
  retryAfter: 'retry-after',
  rateLimit: 'ratelimit',
  rateLimitPolicy: 'ratelimit-policy',
  location: 'location',
  lastEventId: 'last-event-id',
} as const;

export const API_PREFIX = '/api/v1';

/** The longest a poll may wait for its run to end (`?wait=`): below the idle timeouts of common proxies. */
export const MAX_POLL_WAIT_S = 30;

export const runUrl = (runId: string) => `${API_PREFIX}/runs/${runId}`;
export const rerunBatchUrl = (batchId: string) => `${API_PREFIX}/reruns/${batchId}`;
export const runEventsUrl = (runId: string) => `${API_PREFIX}/runs/${runId}/events`;
