import { z } from 'zod';
import type { RunError, RunErrorCode, RunStatus } from '../workflows/types.js';

// How a run stands, as every wire format states it: polls, SSE events and webhook payloads parse and
// document these schemas; the workflow's own types are checked against them at compile time.

export const RUN_STATUSES = ['running', 'completed', 'failed', 'cancelled', 'timed_out'] as const satisfies readonly RunStatus[];

const RUN_ERROR_CODES = ['agent_failed', 'chain_timeout', 'budget_exceeded', 'cancelled', 'orphaned'] as const satisfies readonly RunErrorCode[];

/** Why a run did not complete: `{code, message, agent?}`, with the codes of the README's error table. */
export const runErrorSchema = z
  .object({
    code: z.enum(RUN_ERROR_CODES),
    message: z.string(),
    agent: z.string().optional().meta({ description: 'The agent that failed, for agent_failed' }),
  })
  .meta({ id: 'RunError' }) satisfies z.ZodType<RunError>;
