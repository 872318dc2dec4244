import type { RunState } from '../workflows/types.js';

/**
 * Runs of this process's worker whose progress is kept, at most; beyond it the oldest-updated go
 * (runs left waiting at input steps for days, or terminated ones that never announce an end), and
 * polls of those ask the worker, as without LocalRuns.
 */
const MAX_RUNS = 2_000;

/**
 * How long after a publication its state is trusted whatever the run's history length: long enough for
 * Temporal to record the workflow task that published it (its completion adds events of its own).
 */
const SETTLE_MS = 1_000;

interface Published {
  state: RunState;
  at: number;
  /** The run's history length as reads saw it up to SETTLE_MS after the publication. */
  settledLength?: number;
}

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
  private readonly states = new Map<string, Published>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The run's state as its workflow's latest activation left it. */
  progressed(state: RunState): void {
    // Oldest-updated first (a Map keeps insertion order), so the bound drops the quietest run.
    this.states.delete(state.run_id);
    this.states.set(state.run_id, { state, at: this.now() });
    if (this.states.size > MAX_RUNS) this.states.delete(this.states.keys().next().value!);
  }

  /**
   * The latest state published for a run, while it is still the run's state: the run's history
   * (`historyLength`, as a describe just read it) has not grown since that publication settled. Grown
   * without a new publication, the run moved on elsewhere — another worker on the same server took it
   * over after this one let it go — and the caller must ask the workflow instead.
   */
  progress(runId: string, historyLength: number): RunState | undefined {
    const published = this.states.get(runId);
    if (!published) return undefined;
    if (this.now() - published.at < SETTLE_MS) {
      published.settledLength = historyLength;
      return published.state;
    }
    return published.settledLength === historyLength ? published.state : undefined;
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
