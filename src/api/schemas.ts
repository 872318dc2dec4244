import { z } from 'zod';
import { EVENT_ID } from '../runs/stream/ids.js';
import {
  AGENT_STATUSES,
  ANSWERED_BY,
  RUN_STATUSES,
  WEBHOOK_EVENT_FILTERS,
  agentModelFields,
  deliveryRecordSchema,
  endStatusSchema,
  inputRequestSchema,
  rerunBatchSchema,
  rerunOfSchema,
} from '../records/schemas.js';
import { MAX_POLL_WAIT_S } from './wire.js';

// Request and response schemas: the handlers parse with them, TypeScript types come from them, and
// the OpenAPI document is generated from them. One source of truth for the contract.

/** Run ids: `run-` and 20 hex digits, `run-k` and 31 for Idempotency-Key runs, 20 [a-z0-9] for runs from before hex ids. */
const RUN_ID = /^run-(?:[0-9a-z]{20}|k[0-9a-f]{31})$/;
/** Rerun batch ids: `batch-k` and 31 hex digits, derived from (caller, Idempotency-Key). */
export const BATCH_ID = /^batch-k[0-9a-f]{31}$/;
/** A chain name, or name@version; versions stay below a billion, so one always reads as a number in a visibility query. */
const CHAIN_REF = /^[a-z0-9-]+(@[1-9][0-9]{0,8})?$/;

export const chainRefParam = z.object({
  chain: z.string().max(80).meta({ description: 'Chain name, or name@version to pin a version', example: 'writing-pipeline@1' }),
});
export const runIdParam = z.object({
  // Checked before any Temporal call: anything else is no run (404), never a Temporal error.
  run_id: z.string().regex(RUN_ID, 'a run id').meta({ description: 'The run id returned when the run started', example: 'run-8f2a3c4d5e6f7a8b9c0d' }),
});

const runRequestFields = {
  input: z.record(z.string(), z.unknown()).default({}).meta({ description: "The chain's input, validated against its input_schema" }),
  max_cost: z.number().positive().optional().meta({ description: 'Stop the run before the next agent once spent cost (USD) passes this' }),
};

export const syncRunRequest = z
  .object({
    ...runRequestFields,
    timeout_s: z.number().int().min(1).max(300).default(30).meta({ description: 'How long to wait for the result before answering 504 wait_timeout (the run goes on)' }),
  })
  .strict()
  .meta({ id: 'SyncRunRequest' });

export const DEFAULT_WEBHOOK_EVENTS = ['completed', 'failed', 'timed_out', 'cancelled'] as const;

export const webhookRequest = z
  .object({
    url: z.string().min(1).max(2048).meta({ description: 'http(s) URL to POST events to; public addresses only unless the server allows private ones', example: 'https://partner.example/hooks/done' }),
    secret: z.string().min(16).max(256).optional().meta({ description: 'Signing secret (whsec_ + base64 recommended). Omit it and the server generates one, returned once in the 202 body.' }),
    events: z
      .array(z.enum(WEBHOOK_EVENT_FILTERS))
      .min(1)
      .default([...DEFAULT_WEBHOOK_EVENTS])
      .meta({ description: 'Which events to deliver; agent.completed adds a delivery after each agent' }),
  })
  .strict()
  .meta({ id: 'WebhookRequest' });

export type WebhookRequest = z.infer<typeof webhookRequest>;

export const asyncRunRequest = z
  .object({
    ...runRequestFields,
    webhook: webhookRequest.optional(),
  })
  .strict()
  .meta({ id: 'AsyncRunRequest' });

export type SyncRunRequest = z.infer<typeof syncRunRequest>;
export type AsyncRunRequest = z.infer<typeof asyncRunRequest>;

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().meta({ description: 'Stable machine-readable error code' }),
    request_id: z.string(),
    run_id: z.string().optional(),
    poll_url: z.string().optional(),
    agent: z.string().optional(),
    answered_by: z.enum(['caller', 'link']).optional().meta({ description: 'input_already_provided: who gave the answer that won' }),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

const agentSchema = z.object({
  name: z.string(),
  status: z.enum(AGENT_STATUSES),
  attempts: z.number().int(),
  duration_ms: z.number().int().nullable(),
  cost: z.number(),
  ...agentModelFields,
  answered_by: z.enum(ANSWERED_BY).optional().meta({ description: 'Input steps, once answered: a caller, a respond_url link, or the default at the timeout' }),
  reused_cost: z.number().optional().meta({ description: 'Reused agents of a rerun: what the agent cost in the original run (its `cost` here is 0)' }),
});

export const runSchema = z
  .object({
    run_id: z.string(),
    chain: z.string(),
    chain_version: z.number().int(),
    status: z.enum(RUN_STATUSES),
    cost: z.number().meta({ description: 'USD spent so far' }),
    duration_ms: z.number().int().meta({ description: 'Milliseconds since the run started, or its total once ended' }),
    created_at: z.string(),
    completed_at: z.string().optional(),
    progress: z.object({ current_agent: z.string().nullable(), agents_completed: z.number().int(), agents_total: z.number().int() }).optional(),
    agents: z.array(agentSchema),
    output: z.unknown().optional(),
    error: problemSchema.optional(),
    input_request: inputRequestSchema.optional().meta({ description: 'While the run is waiting_for_input: what it waits for. Answer with POST /api/v1/runs/{run_id}/input.' }),
    temporal_ui_url: z.string().optional().meta({ description: 'Where ops can open this run in the Temporal Web UI (when the UI address is configured)' }),
    rerun_of: rerunOfSchema.optional(),
    reused_cost: z.number().optional().meta({ description: 'Reruns: what the reused agents cost in the original run, not counted in `cost`' }),
  })
  .meta({ id: 'Run' });

/** The sync route's answer when the run paused at an input step. */
export const runWaitingSchema = runSchema.extend({ poll_url: z.string(), stream_url: z.string() }).meta({ id: 'RunWaiting' });

export const runAcceptedSchema = z
  .object({
    run_id: z.string(),
    chain: z.string(),
    chain_version: z.number().int(),
    status: z.enum(RUN_STATUSES),
    cost: z.number(),
    duration_ms: z.number().int(),
    poll_url: z.string(),
    stream_url: z.string(),
    estimated_duration_s: z.number().nullable(),
    webhook: z
      .object({ url: z.string(), events: z.array(z.enum(WEBHOOK_EVENT_FILTERS)), secret: z.string().optional().meta({ description: 'Only when the server generated it: shown this once' }) })
      .optional(),
    rerun_of: rerunOfSchema.optional(),
  })
  .meta({ id: 'RunAccepted' });

/** The answer to the input step a run waits at. */
export const inputAnswerRequest = z
  .object({
    step: z.string().min(1).max(200).meta({ description: 'The input step being answered (input_request.step)' }),
    value: z.unknown().refine((value) => value !== undefined, 'is required').meta({ description: "The answer; must match the step's schema" }),
  })
  .strict()
  .meta({ id: 'InputAnswer' });

/** The answer through a webhook's respond_url: the link names the run and the step. */
export const linkAnswerRequest = inputAnswerRequest.pick({ value: true }).strict().meta({ id: 'LinkAnswer' });

export const inputAcceptedSchema = z
  .object({ run_id: z.string(), step: z.string(), answered_by: z.literal('link') })
  .meta({ id: 'InputAccepted' });

export const respondTokenParam = z.object({ token: z.string().min(1).max(1024) });

/**
 * A page size: decimal digits only, so `1e1`, `0x10`, ` 5` or `false` are 422 like any other
 * non-integer, never a number by accident of coercion.
 */
function queryInteger(min: number, max: number) {
  const digits = new RegExp(`^[0-9]{1,${String(max).length}}$`);
  return z.preprocess((value) => (typeof value === 'string' && digits.test(value) ? Number(value) : value), z.number().int().min(min).max(max));
}

const pageLimit = queryInteger(1, 100)
  .optional()
  .transform((limit) => limit ?? 20)
  .meta({ description: 'Page size, 1–100 (default 20)' });

const pageCursor = z
  .string()
  .max(4096)
  .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'a cursor issued by a previous page')
  .optional()
  .meta({
    description:
      'Opaque: the `next_cursor` of the previous page of this same listing (same caller, same filters), passed back unchanged. Any other value, however well formed, is 422 validation_failed (path query.cursor).',
  });

export const listRunsQuery = z
  .object({
    chain: z.string().regex(CHAIN_REF, 'a chain name or name@version').optional(),
    status: z.enum(RUN_STATUSES).optional(),
    rerun_of: z.string().regex(RUN_ID, 'a run id').optional().meta({ description: "Only the reruns of this run" }),
    limit: pageLimit,
    cursor: pageCursor,
  })
  .strict();

export const runListSchema = z
  .object({
    data: z.array(runSchema.omit({ agents: true, output: true, error: true, progress: true, reused_cost: true })),
    next_cursor: z.string().nullable(),
  })
  .meta({ id: 'RunList' });

export const chainSchema = z
  .object({
    name: z.string(),
    version: z.number().int(),
    versions: z.array(z.number().int()),
    description: z.string(),
    input_schema: z.record(z.string(), z.unknown()),
    agents: z.array(z.string()),
    estimated_duration_s: z.number().nullable(),
    available: z.boolean(),
    unavailable_reason: z.string().nullable(),
  })
  .meta({ id: 'Chain' });

export const chainListSchema = z.object({ data: z.array(chainSchema), next_cursor: z.null() }).meta({ id: 'ChainList' });

export const healthSchema = z.object({ status: z.literal('ok') });
/** A fixed word only: /readyz is public, so why it is not ready is logged, not answered. */
export const readySchema = z.object({ status: z.enum(['ready', 'not_ready']) });

export const deliverySchema = deliveryRecordSchema
  .extend({ delivery_id: z.string().meta({ description: 'Also the webhook-id header of every attempt' }) })
  .meta({ id: 'Delivery' });

export const deliveryListSchema = z.object({ data: z.array(deliverySchema), next_cursor: z.string().nullable() }).meta({ id: 'DeliveryList' });

export const deliveryParams = runIdParam.extend({ delivery_id: z.string().max(120) });

/** GET /runs/{id}: `wait` turns the poll into a long poll, so a caller hears of the end without polling often. */
export const pollRunQuery = z.object({
  wait: queryInteger(0, MAX_POLL_WAIT_S)
    .optional()
    .transform((wait) => wait ?? 0)
    .meta({
      description: `Seconds (0–${MAX_POLL_WAIT_S}, default 0) to wait for a running run to end before answering: the answer comes as soon as it ends, or with its progress when the wait runs out. Each waiting poll holds one of the caller's wait slots, as a sync run does.`,
    }),
});

export const pageQuery = z.object({ limit: pageLimit, cursor: pageCursor }).strict();

/** What the stream routes add to a start's body: a webhook must bring its secret, and what a disconnect does. */
const streamFields = {
  // A generated secret is shown once, in a response body this route does not have.
  webhook: webhookRequest
    .extend({ secret: z.string({ error: 'is required on the stream route' }).min(16).max(256).meta({ description: 'Signing secret (whsec_ + base64 recommended); required here' }) })
    .meta({ id: 'StreamWebhookRequest' })
    .optional(),
  on_disconnect: z
    .enum(['continue', 'cancel'])
    .default('continue')
    .meta({ description: 'When the client goes away before the run ends: `continue` (the run is durable and goes on) or `cancel` it' }),
};

export const streamRunRequest = asyncRunRequest.extend(streamFields).meta({ id: 'StreamRunRequest' });

export const streamEventsQuery = z
  .object({
    // The stream route answers a malformed id 400 invalid_request, as for the header; the pattern documents the grammar.
    last_event_id: z.string().max(64).optional().meta({ pattern: EVENT_ID.source, description: 'Resume after this event id, for clients that cannot send the Last-Event-ID header' }),
    stream_token: z.string().max(512).optional().meta({ description: 'A token from POST /runs/{run_id}/stream-token, for EventSource clients that cannot send Authorization' }),
  })
  .strict();

export const streamTokenSchema = z
  .object({
    token: z.string(),
    expires_at: z.string(),
    events_url: z.string().meta({ description: 'The events URL with the token in it, ready for `new EventSource(url)`' }),
  })
  .meta({ id: 'StreamToken' });

/** Request headers some routes read, as documented and checked. */
export const MAX_IDEMPOTENCY_KEY = 255;
export const idempotencyKeyHeader = z.string().max(MAX_IDEMPOTENCY_KEY);
/** Where an Idempotency-Key is required (bulk reruns), an empty one is none. */
export const requiredIdempotencyKeyHeader = idempotencyKeyHeader.min(1);
/** An event id this stream sent; empty means none, as for an EventSource whose last event cleared it. */
export const lastEventIdHeader = z.string().regex(new RegExp(`^$|${EVENT_ID.source}`), 'an event id this stream sent, or empty');

/** Re-run an ended run from one agent on (POST /runs/{run_id}/rerun). */
const rerunFields = z.object({
  from: z.string().min(1).max(200).optional().meta({ description: 'The first agent to run again, by name; the agents before it are reused. Give this or from_index.' }),
  from_index: z.number().int().min(0).max(999).optional().meta({ description: 'The first agent to run again, by 0-based position' }),
  input: z.record(z.string(), z.unknown()).optional().meta({ description: "Replaces the original run's input for the agents that run again; the original input by default" }),
  chain: z.string().regex(CHAIN_REF, 'a chain name or name@version').optional().meta({
    description: "The chain version to run (name@version); the original run's by default. Its agents up to `from` must match the original's in name and kind.",
    example: 'writing-pipeline@2',
  }),
  max_cost: runRequestFields.max_cost,
  webhook: webhookRequest.optional(),
});
/** A rerun names its first agent one way: by name or by position. */
const namesOneStart = (body: { from?: string; from_index?: number }) => (body.from === undefined) !== (body.from_index === undefined);
const oneStartProblem = { message: 'give exactly one of from and from_index', path: ['from'] };

export const rerunRequest = rerunFields.strict().refine(namesOneStart, oneStartProblem).meta({ id: 'RerunRequest' });
export const streamRerunRequest = rerunFields.extend(streamFields).strict().refine(namesOneStart, oneStartProblem).meta({ id: 'StreamRerunRequest' });
export type RerunRequestBody = z.infer<typeof rerunRequest>;

/** Re-run many ended runs from one agent (POST /runs/rerun): which runs, from where. */
export const rerunBatchRequest = z
  .object({
    chain: z.string().regex(CHAIN_REF, 'a chain name or name@version').meta({ description: 'Re-run runs of this chain version (name@version; a bare name means its latest version)', example: 'writing-pipeline@1' }),
    status: endStatusSchema.default('failed').meta({ description: 'Only runs that ended this way (default failed)' }),
    from: z.string().min(1).max(200).meta({ description: 'The first agent each rerun runs again; the agents before it are reused' }),
    created_after: z.iso.datetime({ offset: true }).optional().meta({ description: 'Only runs started at or after this time' }),
    created_before: z.iso.datetime({ offset: true }).optional().meta({ description: 'Only runs started before this time' }),
    limit: z.number().int().min(1).max(1000).default(100).meta({ description: 'At most this many runs, newest first (1–1000, default 100)' }),
    target_chain: z.string().regex(CHAIN_REF, 'a chain name or name@version').optional().meta({
      description: "The chain version the reruns run (its agents up to `from` must match); the filter's version by default",
      example: 'writing-pipeline@2',
    }),
  })
  .strict()
  .meta({ id: 'RerunBatchRequest' });

export const batchIdParam = z.object({
  batch_id: z.string().regex(BATCH_ID, 'a batch id').meta({ description: 'The batch id returned when the batch started', example: 'batch-k0123456789abcdef0123456789abcde' }),
});

export const rerunBatchAcceptedSchema = z
  .object({ batch_id: z.string(), status: z.literal('running'), poll_url: z.string() })
  .meta({ id: 'RerunBatchAccepted' });

export { rerunBatchSchema };
