import type { RunState } from '../workflows/types.js';

/**
 * Runs of this process's worker whose progress is kept, at most; beyond it the oldest-updated go
 * (runs left waiting at input steps for days, or terminated ones that never announce an end), and
 * polls of those ask the worker, as without LocalRuns.
 */
const MAX_RUNS = 2_000;

/**
 * What the worker sharing this process (`npm start`) tells its API about the runs it executes, through
 * workflow sinks: each run's progress as its workflow moves, and the moment it ends. Polls of a run
 * then need no `progress` query (a round trip through Temporal to a workflow thread and back), and
 * need not re-read a running run every 100 ms only to notice its end. Best effort and local: sinks
 * are not called while a history replays, and a process without a worker hears nothing (its polls
 * query, and keep the short sharing window).
 */
export class LocalRuns {
  private readonly listeners = new Set<(runId: string) => void>();
  private readonly states = new Map<string, RunState>();

  /** The run's state as its workflow's latest activation left it. */
  progressed(state: RunState): void {
    // Oldest-updated first (a Map keeps insertion order), so the bound drops the quietest run.
    this.states.delete(state.run_id);
    this.states.set(state.run_id, state);
    if (this.states.size > MAX_RUNS) this.states.delete(this.states.keys().next().value!);
  }

  /** The latest state published for a run this process's worker executes; undefined when none is known. */
  progress(runId: string): RunState | undefined {
    return this.states.get(runId);
  }

  /** Drops what is known of a run Temporal says has closed (one ended without a word, e.g. terminated). */
  forget(runId: string): void {
    this.states.delete(runId);
  }

  ended(runId: string): void {
    this.states.delete(runId);
    for (const listener of this.listeners) listener(runId);
  }

  onEnd(listener: (runId: string) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
}
