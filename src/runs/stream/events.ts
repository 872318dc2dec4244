import { z } from 'zod';
import type { EndStatus } from '../../workflows/types.js';
import { ANSWERED_BY, agentModelFields, inputRequestSchema, rerunOfSchema, runErrorSchema } from '../../records/schemas.js';
import type { Position } from './ids.js';

/** The event names of a run's stream: the `event:` field clients switch on. */
export const RUN_EVENT = {
  runStarted: 'run.started',
  agentStarted: 'agent.started',
  agentOutput: 'agent.output',
  agentRetrying: 'agent.retrying',
  agentCompleted: 'agent.completed',
  runWaiting: 'run.waiting',
  runResumed: 'run.resumed',
  runCompleted: 'run.completed',
  runFailed: 'run.failed',
  runTimedOut: 'run.timed_out',
  runCancelled: 'run.cancelled',
} as const;

/** The terminal event for each way a run ends. */
export const TERMINAL_EVENT = {
  completed: RUN_EVENT.runCompleted,
  failed: RUN_EVENT.runFailed,
  timed_out: RUN_EVENT.runTimedOut,
  cancelled: RUN_EVENT.runCancelled,
} as const satisfies Record<EndStatus, string>;

const ended = {
  run_id: z.string(),
  cost: z.number().meta({ description: 'USD spent' }),
  duration_ms: z.number().int(),
};
const failed = z.object({ ...ended, error: runErrorSchema });

/**
 * The `data` of every event a run's stream carries, by event name: the readers build events of these
 * types, and the OpenAPI document describes the SSE routes' events from these schemas.
 */
export const RUN_EVENT_DATA = {
  [RUN_EVENT.runStarted]: z.object({
    run_id: z.string(),
    chain: z.string(),
    chain_version: z.number().int(),
    agents_total: z.number().int(),
    rerun_of: rerunOfSchema.optional().meta({ description: 'Reruns only: the run re-run and the agent it re-ran from' }),
    reused: z
      .array(z.object({ agent: z.string(), index: z.number().int(), reused_cost: z.number() }))
      .optional()
      .meta({ description: 'Reruns only: the agents taken over from the original run, which this stream never shows running, with what they cost there' }),
  }),
  [RUN_EVENT.agentStarted]: z.object({ agent: z.string(), index: z.number().int().meta({ description: "The agent's 0-based position in the chain" }) }),
  [RUN_EVENT.agentOutput]: z.object({
    agent: z.string(),
    index: z.number().int(),
    chunk: z.string(),
    offset: z.number().int().meta({ description: "Characters (UTF-16 code units) of this attempt's output before `chunk`" }),
  }),
  [RUN_EVENT.agentRetrying]: z.object({
    agent: z.string(),
    index: z.number().int(),
    attempt: z.number().int().meta({ description: 'The attempt that runs now: discard the partial output of the agent so far' }),
    error: z.string().meta({ description: 'Why the previous attempt (or, for a fallback, the previous model) failed' }),
    reason: z
      .literal('fallback')
      .optional()
      .meta({ description: 'Set when, within the same attempt, `model` takes over from a model that failed (absent: a new attempt starts)' }),
    model: z.string().optional().meta({ description: 'For a fallback: the model (provider:model) whose output follows' }),
  }),
  [RUN_EVENT.agentCompleted]: z.object({
    agent: z.string(),
    index: z.number().int(),
    duration_ms: z.number().int(),
    cost: z.number(),
    attempts: z.number().int(),
    ...agentModelFields,
  }),
  [RUN_EVENT.runWaiting]: inputRequestSchema,
  [RUN_EVENT.runResumed]: z.object({
    step: z.string(),
    index: z.number().int(),
    answered_by: z.enum(ANSWERED_BY).meta({ description: 'caller (API key), link (respond_url) or default (the step timed out with on_timeout: continue)' }),
  }),
  [RUN_EVENT.runCompleted]: z.object({ ...ended, output: z.unknown() }),
  [RUN_EVENT.runFailed]: failed,
  [RUN_EVENT.runTimedOut]: failed,
  [RUN_EVENT.runCancelled]: failed,
} as const satisfies Record<(typeof RUN_EVENT)[keyof typeof RUN_EVENT], z.ZodObject>;

type RunEventName = keyof typeof RUN_EVENT_DATA;

/** The `data` of one event. */
export type RunEventData<E extends RunEventName> = z.infer<(typeof RUN_EVENT_DATA)[E]>;

/** Every event a run's stream carries, with its pinned `data` fields. */
export type RunEventBody = { [E in RunEventName]: { event: E; data: z.infer<(typeof RUN_EVENT_DATA)[E]> } }[RunEventName];

/** One event of a run's stream at its position (which gives its id). */
export type RunEvent = RunEventBody & { position: Position };

export function isTerminal(event: RunEventBody): boolean {
  return (Object.values(TERMINAL_EVENT) as string[]).includes(event.event);
}
