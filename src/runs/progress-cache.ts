import type { RunState } from '../workflows/types.js';

const MAX_ENTRIES = 10_000;

/**
 * The last progress-query answer of each open run, keyed by the history length it was read at. A run's
 * progress is a function of its history alone (the workflow changes state only on new events), so while
 * `describe` reports the same history length the answer cannot have changed: a poll then costs one
 * describe instead of a describe plus a query that wakes a worker's workflow thread. An agent running
 * for seconds adds no events, so most polls of a long run are answered without a query.
 */
export class ProgressCache {
  private readonly entries = new Map<string, { historyLength: number; state: RunState }>();

  get(runId: string, historyLength: number): RunState | undefined {
    const entry = this.entries.get(runId);
    return entry?.historyLength === historyLength ? entry.state : undefined;
  }

  set(runId: string, historyLength: number, state: RunState): void {
    this.entries.delete(runId);
    this.entries.set(runId, { historyLength, state });
    // Oldest first (a Map keeps insertion order): bounded however many runs are polled.
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
  }

  /** A closed run answers from its memo; its entry is of no further use. */
  forget(runId: string): void {
    this.entries.delete(runId);
  }
}
