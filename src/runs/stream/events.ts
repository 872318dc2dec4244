import type { RunError, RunStatus } from '../../workflows/types.js';
import type { Position } from './ids.js';

/** The event names of a run's stream: the `event:` field clients switch on. */
export const RUN_EVENT = {
  runStarted: 'run.started',
  agentStarted: 'agent.started',
  agentOutput: 'agent.output',
  agentRetrying: 'agent.retrying',
  agentCompleted: 'agent.completed',
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
} as const satisfies Record<Exclude<RunStatus, 'running'>, string>;

interface Ended {
  run_id: string;
  cost: number;
  duration_ms: number;
}

/** Every event a run's stream carries, with its pinned `data` fields. */
export type RunEventBody =
  | { event: typeof RUN_EVENT.runStarted; data: { run_id: string; chain: string; chain_version: number; agents_total: number } }
  | { event: typeof RUN_EVENT.agentStarted; data: { agent: string; index: number } }
  /** `offset`: characters (UTF-16 code units) of this attempt's output before `chunk`. */
  | { event: typeof RUN_EVENT.agentOutput; data: { agent: string; index: number; chunk: string; offset: number } }
  | { event: typeof RUN_EVENT.agentRetrying; data: { agent: string; index: number; attempt: number; error: string } }
  | { event: typeof RUN_EVENT.agentCompleted; data: { agent: string; index: number; duration_ms: number; cost: number; attempts: number } }
  | { event: typeof RUN_EVENT.runCompleted; data: Ended & { output: unknown } }
  | { event: (typeof TERMINAL_EVENT)[Exclude<RunStatus, 'running' | 'completed'>]; data: Ended & { error: RunError } };

/** One event of a run's stream at its position (which gives its id). */
export type RunEvent = RunEventBody & { position: Position };

export function isTerminal(event: RunEventBody): boolean {
  return (Object.values(TERMINAL_EVENT) as string[]).includes(event.event);
}
