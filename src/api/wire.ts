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

export const runUrl = (runId: string) => `${API_PREFIX}/runs/${runId}`;
export const runEventsUrl = (runId: string) => `${API_PREFIX}/runs/${runId}/events`;
