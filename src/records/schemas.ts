import { z } from 'zod';

// What the workflows write into Temporal (memos, query answers, failure details, webhook payloads), as
// zod schemas: the workflows' types come from these (src/workflows/types.ts, type imports only), and
// everyone who reads those payloads back parses them with the same schemas instead of casting. Outside
// src/workflows on purpose: the workflow sandbox evaluates its bundle again for every run, and building
// these schemas there cost ~7 ms per run (test/unit/workflow-bundle-imports.test.ts keeps zod out).
// Older runs must keep parsing: a field added later is optional here, never required.

export const RUN_STATUSES = ['running', 'waiting_for_input', 'completed', 'failed', 'cancelled', 'timed_out'] as const;
/** The statuses of a run that has not ended. */
export const OPEN_STATUSES = ['running', 'waiting_for_input'] as const satisfies ReadonlyArray<(typeof RUN_STATUSES)[number]>;
/** `reused`: a rerun took the agent's output from the run it re-runs instead of running it again. */
export const AGENT_STATUSES = ['pending', 'running', 'waiting', 'completed', 'failed', 'cancelled', 'skipped', 'reused'] as const;
/** Stable codes a run can end with; the API maps them to HTTP statuses. */
export const RUN_ERROR_CODES = ['agent_failed', 'chain_timeout', 'budget_exceeded', 'cancelled', 'orphaned', 'input_timeout'] as const;
/** Events a webhook may subscribe to, as named in the request's `events`. */
export const WEBHOOK_EVENT_FILTERS = ['completed', 'failed', 'timed_out', 'cancelled', 'agent.completed', 'input_required'] as const;
/** The `event` field of a delivered payload. */
export const WEBHOOK_EVENTS = ['chain.completed', 'chain.failed', 'chain.timed_out', 'chain.cancelled', 'agent.completed', 'run.input_required'] as const;
/** Who gave an input step its answer: the caller (API key), a partner through the webhook's respond_url, or the step's default at its timeout. */
export const ANSWERED_BY = ['caller', 'link', 'default'] as const;
export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;

export const runStatusSchema = z.enum(RUN_STATUSES);

/** Whether a run with this status has not ended yet (it runs, or waits for input). */
export function isOpen(status: (typeof RUN_STATUSES)[number]): status is (typeof OPEN_STATUSES)[number] {
  return (OPEN_STATUSES as readonly string[]).includes(status);
}
/** How a run ended: every status but `running`. */
export const endStatusSchema = runStatusSchema.exclude(OPEN_STATUSES);

/** Why a run did not complete: `{code, message, agent?}`, with the codes of the README's error table. */
export const runErrorSchema = z
  .object({
    code: z.enum(RUN_ERROR_CODES),
    message: z.string(),
    agent: z.string().optional().meta({ description: 'The agent that failed, for agent_failed' }),
  })
  .meta({ id: 'RunError' });

/**
 * What an agent that called a model records (the llm kind): absent on other agents, on agents that
 * did not complete, and on runs from before models were recorded.
 */
export const agentModelFields = {
  model: z.string().optional().meta({ description: 'The model that produced the output, as provider:model' }),
  fallback_used: z.boolean().optional().meta({ description: 'Whether that model was one of the fallbacks rather than the primary' }),
  tokens: z
    .object({ input: z.number().int().nonnegative(), output: z.number().int().nonnegative() })
    .optional()
    .meta({ description: "Tokens of the agent's successful attempt, as the provider reported them" }),
};

export const agentStateSchema = z.object({
  name: z.string(),
  status: z.enum(AGENT_STATUSES),
  attempts: z.number().int(),
  started_at: z.string().nullable(),
  duration_ms: z.number().nullable(),
  cost: z.number(),
  error: z.string().nullable(),
  ...agentModelFields,
  /** Input steps only, once answered. */
  answered_by: z.enum(ANSWERED_BY).optional(),
  /** Input steps only: the id of the update that answered (so a repeat of it is recognised after the run ended) and its request's fingerprint. */
  answer_id: z.string().optional(),
  answer_hash: z.string().nullable().optional(),
  /** Reused agents only: what the agent cost in the run it was reused from (this run's `cost` for it is 0). */
  reused_cost: z.number().optional(),
});

/** Which run a rerun re-runs, and from which agent on. */
export const rerunOfSchema = z
  .object({
    run_id: z.string().meta({ description: 'The run this one re-runs' }),
    from: z.string().meta({ description: 'The first agent that ran again; the agents before it were reused' }),
  })
  .meta({ id: 'RerunOf' });

/** What a run waiting at an input step asks for (`input_request` of the run while it waits). */
export const inputRequestSchema = z
  .object({
    step: z.string().meta({ description: 'The input step waiting for an answer' }),
    index: z.number().int().meta({ description: "The step's 0-based position in the chain" }),
    prompt: z.string().meta({ description: 'What to show the person, templates resolved' }),
    schema: z.record(z.string(), z.unknown()).meta({ description: 'JSON Schema the answer must match' }),
    expires_at: z.string().meta({ description: 'When the step stops waiting (then on_timeout applies)' }),
  })
  .meta({ id: 'InputRequest' });

/** What a run shows under its memo's `input`: the request while it waits, who answered once it goes on. */
export const inputMemoSchema = z.union([z.object({ step: z.string(), index: z.number().int(), answered_by: z.enum(ANSWERED_BY) }).strict(), inputRequestSchema]);

/** What the `progress` query answers and what a closed run leaves in its memo under `result`. */
export const runStateSchema = z.object({
  run_id: z.string(),
  chain: z.string(),
  chain_version: z.number().int(),
  caller_id: z.string(),
  status: runStatusSchema,
  current_agent: z.string().nullable(),
  agents_completed: z.number().int(),
  agents_total: z.number().int(),
  agents: z.array(agentStateSchema),
  cost: z.number(),
  started_at: z.string(),
  ended_at: z.string().nullable(),
  duration_ms: z.number().nullable(),
  output: z.unknown().optional(),
  error: runErrorSchema.nullable(),
  /** Ids of the webhook deliveries this run started, oldest first. */
  deliveries: z.array(z.string()),
  /** Set while the run waits at an input step. */
  input_request: inputRequestSchema.nullable().optional(),
  /** Reruns only: the run re-run and the agent it re-ran from. */
  rerun_of: rerunOfSchema.optional(),
  /** Reruns only: what the reused agents cost in the original run, not counted in `cost`. */
  reused_cost: z.number().optional(),
});

/**
 * The payload of one delivery as the run's workflow builds it, minus the per-attempt `attempt` the
 * delivery activity adds. The OpenAPI document's `webhooks` are generated from it.
 */
export const webhookPayloadSchema = z.object({
  event: z.enum(WEBHOOK_EVENTS),
  run_id: z.string(),
  chain: z.string(),
  chain_version: z.number().int(),
  status: runStatusSchema,
  output: z.unknown().meta({ description: "The run's output once completed, else null" }),
  error: runErrorSchema.nullable(),
  cost: z.number().meta({ description: 'USD spent so far' }),
  duration_ms: z.number().int(),
  timestamp: z.string().meta({ description: 'When the event happened; the same on every attempt, so receivers can order by it' }),
  delivery_id: z.string().meta({ description: 'Also the webhook-id header: stable across retries and redeliveries, de-duplicate on it' }),
  agent: z.string().optional(),
  agent_output: z.unknown().optional(),
  agent_model: agentModelFields.model.meta({ description: 'agent.completed of an agent that called a model: the model (provider:model) that produced the output' }),
  agent_fallback_used: agentModelFields.fallback_used,
  agent_tokens: agentModelFields.tokens,
  input_request: inputRequestSchema.optional().meta({ description: 'run.input_required: what the run waits for' }),
  rerun_of: rerunOfSchema.optional().meta({ description: 'Reruns only: the run re-run and the agent it re-ran from' }),
  respond_url: z.string().optional().meta({
    description: 'run.input_required: POST {"value": ...} here to answer without an API key; single use, valid until the step expires',
  }),
});

/** Which ended runs a rerun batch re-runs (POST /runs/rerun), as the batch keeps it. */
export const rerunFilterSchema = z.object({
  chain: z.string().meta({ description: 'The chain version whose runs are re-run (name@version)' }),
  status: endStatusSchema.meta({ description: 'Only runs that ended this way' }),
  created_after: z.string().optional().meta({ description: 'Only runs started at or after this time (ISO 8601)' }),
  created_before: z.string().optional().meta({ description: 'Only runs started before this time (ISO 8601)' }),
  limit: z.number().int().meta({ description: 'At most this many runs, newest first' }),
});

/** One original run of a batch: the rerun it got, or why it got none. */
export const rerunResultSchema = z
  .object({
    original_run_id: z.string(),
    run_id: z.string().optional().meta({ description: 'The rerun, when it started' }),
    error: z.object({ code: z.string(), message: z.string() }).optional().meta({ description: 'Why this run was not re-run; the others go on' }),
  })
  .meta({ id: 'RerunResult' });

/** A rerun batch: what it re-runs, how far it got, and each run's result. The batch workflow's query answer and result. */
export const rerunBatchSchema = z
  .object({
    batch_id: z.string(),
    status: z.enum(['running', 'completed']),
    filter: rerunFilterSchema,
    from: z.string().meta({ description: 'The first agent each rerun runs again' }),
    chain: z.string().meta({ description: 'The chain version the reruns run (name@version)' }),
    total: z.number().int().nullable().meta({ description: 'How many runs matched the filter; null until they are listed' }),
    started: z.number().int().meta({ description: 'Reruns started so far' }),
    failed: z.number().int().meta({ description: 'Runs that could not be re-run so far' }),
    results: z.array(rerunResultSchema),
    created_at: z.string(),
    completed_at: z.string().nullable(),
  })
  .meta({ id: 'RerunBatch' });

/** Extra facts an agent failure carries to the workflow in ApplicationFailure details. */
export const agentFailureDetailsSchema = z.object({
  attempt: z.number().int(),
  cost: z.number(),
});

/** One delivery attempt: reported by the delivery activity as a signal, and in its failure details. */
export const deliveryAttemptSchema = z.object({
  attempt: z.number().int(),
  at: z.string(),
  status_code: z.number().int().nullable(),
  error: z.string().nullable(),
  duration_ms: z.number().int(),
});

/** A delivery's record, answered by GET /runs/{id}/deliveries; kept in the delivery workflow's memo. */
export const deliveryRecordSchema = z.object({
  delivery_id: z.string(),
  run_id: z.string(),
  event: z.enum(WEBHOOK_EVENTS),
  url: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.array(deliveryAttemptSchema),
  created_at: z.string(),
});
