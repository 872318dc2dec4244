import { z } from 'zod';
import { durationMs } from '../durations.js';

const NAME = /^[a-z0-9-]+$/;

const retrySchema = z
  .object({
    max_attempts: z.number().int().min(1).max(100).default(3),
    initial_interval: durationMs.prefault('1s'),
    backoff: z.number().min(1).default(2),
    max_interval: durationMs.prefault('30s'),
  })
  .strict();

const agentSchema = z
  .object({
    name: z.string().regex(NAME, 'use lowercase letters, digits and dashes'),
    kind: z.string().min(1),
    /** One attempt's limit. */
    timeout: durationMs.prefault('60s'),
    /** How long without a heartbeat before an attempt counts as lost (a crashed worker) and is retried. */
    heartbeat_timeout: durationMs.prefault('10s'),
    retry: retrySchema.prefault({}),
    /**
     * `local`: run the agent as a Temporal local activity, inside the workflow task that reaches it:
     * no task dispatch or history events per attempt, but no live output or heartbeats (for short agents).
     */
    execution: z.enum(['activity', 'local']).default('activity'),
    with: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

/** One chain version, as written in a `chains/*.yaml` file. */
export const chainFileSchema = z
  .object({
    name: z.string().regex(NAME, 'use lowercase letters, digits and dashes'),
    version: z.number().int().positive(),
    description: z.string().default(''),
    timeout: durationMs.prefault('10m'),
    estimated_duration: durationMs.optional(),
    input_schema: z.record(z.string(), z.unknown()).default({ type: 'object' }),
    max_cost: z.number().positive().optional(),
    agents: z.array(agentSchema).min(1, 'a chain needs at least one agent'),
    output: z.string().optional(),
  })
  .strict();

export type ChainFile = z.output<typeof chainFileSchema>;
