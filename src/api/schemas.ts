import { z } from 'zod';

// Request and response schemas: the handlers parse with them, TypeScript types come from them, and
// the OpenAPI document is generated from them. One source of truth for the contract.

export const RUN_STATUSES = ['running', 'completed', 'failed', 'cancelled', 'timed_out'] as const;
export const AGENT_STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled', 'skipped'] as const;

export const chainRefParam = z.object({
  chain: z.string().max(80).meta({ description: 'Chain name, or name@version to pin a version', example: 'writing-pipeline@1' }),
});
export const runIdParam = z.object({
  run_id: z.string().max(80).meta({ description: 'The run id returned when the run started', example: 'run-8f2k3j4h5g6f7d8s9a0q' }),
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

export const asyncRunRequest = z
  .object({
    ...runRequestFields,
    timeout_s: z.number().int().min(1).max(300).optional().meta({ description: 'Accepted for symmetry with the sync route; ignored' }),
  })
  .strict()
  .meta({ id: 'AsyncRunRequest' });

export type SyncRunRequest = z.infer<typeof syncRunRequest>;
export type AsyncRunRequest = z.infer<typeof asyncRunRequest>;

export const idempotencyHeader = z
  .string()
  .min(1)
  .max(255)
  .meta({ description: 'Repeat a request safely: the same key (per caller) always addresses the same run' });

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
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

const agentSchema = z.object({
  name: z.string(),
  status: z.enum(AGENT_STATUSES),
  attempts: z.number().int(),
  duration_ms: z.number().int().nullable(),
  cost: z.number(),
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
  })
  .meta({ id: 'Run' });

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
  })
  .meta({ id: 'RunAccepted' });

export const listRunsQuery = z
  .object({
    chain: z.string().regex(/^[a-z0-9-]+(@[1-9][0-9]*)?$/, 'a chain name or name@version').optional(),
    status: z.enum(RUN_STATUSES).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().max(4096).optional(),
  })
  .strict();

export const runListSchema = z
  .object({
    data: z.array(runSchema.omit({ agents: true, output: true, error: true, progress: true })),
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

export const healthSchema = z.object({ status: z.enum(['ok', 'unavailable']), checks: z.record(z.string(), z.string()).optional() });
