import type { z } from 'zod';
import type { ChainVersion } from '../chains/catalog.js';
import { isOpen } from '../records/schemas.js';
import type { RunSnapshot } from '../runs/read.js';
import type { RunError, RunState } from '../workflows/types.js';
import { ApiError, problemBody } from './problem.js';
import type { chainSchema, runSchema } from './schemas.js';
import { runUrl } from './wire.js';

/** A run's public representation (the pinned `Run` schema). */
export function toRunResource({ state, currentAttempt }: RunSnapshot, requestId: string, now = Date.now()): z.infer<typeof runSchema> {
  const ended = !isOpen(state.status);
  return {
    run_id: state.run_id,
    chain: state.chain,
    chain_version: state.chain_version,
    status: state.status,
    cost: state.cost,
    duration_ms: ended && state.duration_ms !== null ? state.duration_ms : Math.max(0, now - Date.parse(state.started_at)),
    created_at: state.started_at,
    ...(ended && state.ended_at && { completed_at: state.ended_at }),
    ...(!ended && {
      progress: { current_agent: state.current_agent, agents_completed: state.agents_completed, agents_total: state.agents_total },
    }),
    agents: state.agents.map((agent) => ({
      name: agent.name,
      status: agent.status,
      attempts: agent.status === 'running' ? Math.max(agent.attempts, currentAttempt ?? 1) : agent.attempts,
      duration_ms: agent.status === 'running' && agent.started_at ? Math.max(0, now - Date.parse(agent.started_at)) : agent.duration_ms,
      cost: agent.cost,
      ...(agent.model !== undefined && { model: agent.model, fallback_used: agent.fallback_used ?? false }),
      ...(agent.tokens && { tokens: agent.tokens }),
      ...(agent.answered_by && { answered_by: agent.answered_by }),
      ...(agent.reused_cost !== undefined && { reused_cost: agent.reused_cost }),
    })),
    ...(state.status === 'waiting_for_input' && state.input_request && { input_request: state.input_request }),
    ...(state.status === 'completed' && { output: state.output ?? null }),
    ...(state.error && { error: runProblem(state, state.error, requestId) }),
    ...(state.rerun_of && { rerun_of: state.rerun_of, reused_cost: state.reused_cost ?? 0 }),
  };
}

/** The error a run ended with, as the API error the sync route answers with. */
export function runEndedError(runId: string, error: RunError): ApiError {
  return new ApiError(error.code, error.message, { run_id: runId, poll_url: runUrl(runId), ...(error.agent && { agent: error.agent }) });
}

/** The problem document for a run that ended without completing, as embedded in the run's `error`. */
function runProblem(state: RunState, error: RunError, requestId: string) {
  const { extras } = runEndedError(state.run_id, error);
  return problemBody(error.code, error.message, requestId, extras);
}

/**
 * Suggested delay before the next poll: 2 s, backing off to 5 s once the run is older than 30 s; a
 * minute while it waits for a person's answer.
 */
export function pollDelaySeconds(state: RunState, now = Date.now()): number {
  if (state.status === 'waiting_for_input') return 60;
  return now - Date.parse(state.started_at) > 30_000 ? 5 : 2;
}

export function toChainResource(chain: ChainVersion, versions: ChainVersion[]): z.infer<typeof chainSchema> {
  return {
    name: chain.name,
    version: chain.version,
    versions: versions.map((v) => v.version),
    description: chain.description,
    input_schema: chain.inputSchema,
    agents: chain.plan.agents.map((a) => a.name),
    estimated_duration_s: chain.estimatedDurationMs === undefined ? null : chain.estimatedDurationMs / 1000,
    available: chain.unavailable === undefined,
    unavailable_reason: chain.unavailable ?? null,
  };
}
