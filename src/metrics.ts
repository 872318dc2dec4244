import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The service's Prometheus metrics, in one registry per process. The API serves it at GET /metrics;
 * a standalone worker serves it on CHAINPORT_WORKER_METRICS_PORT. Label values are bounded (route
 * patterns, chain names, statuses), never ids.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'chainport_process_' });

export const httpRequests = new Counter({
  name: 'chainport_http_requests_total',
  help: 'HTTP requests by route pattern, method and status',
  labelNames: ['route', 'method', 'status'] as const,
  registers: [registry],
});

export const httpDuration = new Histogram({
  name: 'chainport_http_request_duration_seconds',
  help: 'HTTP request duration by route pattern and method (streams: until the stream ends)',
  labelNames: ['route', 'method'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  registers: [registry],
});

export const runsStarted = new Counter({
  name: 'chainport_runs_started_total',
  help: 'Runs started through the API, by chain',
  labelNames: ['chain'] as const,
  registers: [registry],
});

export const runsEnded = new Counter({
  name: 'chainport_runs_ended_total',
  help: 'Runs ended, by chain and status (counted by the worker that ran the end)',
  labelNames: ['chain', 'status'] as const,
  registers: [registry],
});

export const agentDuration = new Histogram({
  name: 'chainport_agent_duration_seconds',
  help: 'Duration of agent attempts, by kind and outcome',
  labelNames: ['kind', 'outcome'] as const,
  buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
  registers: [registry],
});

export const agentCost = new Counter({
  name: 'chainport_agent_cost_usd_total',
  help: 'USD spent by agent attempts, by kind',
  labelNames: ['kind'] as const,
  registers: [registry],
});

// Model calls of llm agents. `model` is the model id without its provider; both come from chain files,
// which operators write, so their values stay few.
export const llmCalls = new Counter({
  name: 'chainport_llm_calls_total',
  help: 'Model calls of llm agents, by provider, model and outcome (ok, content_filter, rejected, rate_limited, server_error, timeout, overloaded, invalid_output)',
  labelNames: ['provider', 'model', 'outcome'] as const,
  registers: [registry],
});

export const llmFallbacks = new Counter({
  name: 'chainport_llm_fallbacks_total',
  help: 'Times an llm agent went on from a failed model (from) to its next fallback (to), by chain and agent',
  labelNames: ['chain', 'agent', 'from', 'to'] as const,
  registers: [registry],
});

export const llmTokens = new Counter({
  name: 'chainport_llm_tokens_total',
  help: 'Tokens reported by model calls, by provider, model and direction (input, output)',
  labelNames: ['provider', 'model', 'direction'] as const,
  registers: [registry],
});

export const llmCost = new Counter({
  name: 'chainport_llm_cost_usd_total',
  help: 'USD of model calls priced with the price table, by provider and model',
  labelNames: ['provider', 'model'] as const,
  registers: [registry],
});

export const webhookAttempts = new Counter({
  name: 'chainport_webhook_attempts_total',
  help: 'Webhook delivery attempts by outcome (delivered, failed, gone)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const openStreams = new Gauge({
  name: 'chainport_sse_open_streams',
  help: 'Open Server-Sent Events streams on this API instance',
  registers: [registry],
});

export const activeReaders = new Gauge({
  name: 'chainport_sse_active_readers',
  help: 'Runs being read for streaming on this API instance (one reader per run, shared by its streams)',
  registers: [registry],
});

export const rateLimitRejections = new Counter({
  name: 'chainport_rate_limit_rejections_total',
  help: 'Requests refused with 429, by limit (requests, concurrent-runs, waits, streams, lookups, failed-auth)',
  labelNames: ['limit'] as const,
  registers: [registry],
});

export const tokenChunksDropped = new Counter({
  name: 'chainport_token_chunks_dropped_total',
  help: 'Pushed agent output chunks dropped (publish_failed, malformed); streams recover them from heartbeats',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const callerSlotsInUse = new Gauge({
  name: 'chainport_caller_slots_in_use',
  help: 'Long-lived requests in flight on this API instance, by kind (waits: sync requests, streams, lookups: webhook DNS)',
  labelNames: ['kind'] as const,
  registers: [registry],
});

export const inputAnswered = new Histogram({
  name: 'chainport_input_time_to_answer_seconds',
  help: 'Time from a run starting to wait at an input step to the answer it took, by who answered (caller, link)',
  labelNames: ['answered_by'] as const,
  buckets: [1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600, 7 * 24 * 3600],
  registers: [registry],
});

export const waitingRuns = new Gauge({
  name: 'chainport_runs_waiting_for_input',
  help: 'Runs waiting at an input step now, in the whole namespace (from Temporal visibility when /metrics is read)',
  registers: [registry],
});
