import type { Client } from '@temporalio/client';
import { ProgressCache } from './progress-cache.js';
import { readOwnedRun, type RunSnapshot } from './read.js';
import type { LocalRuns } from './local-runs.js';

/** How old a shared read may be: far below the 2 s Retry-After polls are told to wait. */
const FRESH_MS = 100;
/** The same, when this process hears of every run's end at once (see LocalRuns). */
const FRESH_MS_HEARING_ENDS = 500;
/**
 * After a run's end is heard, its reads are shared for FRESH_MS only, for this long: the worker
 * announces the end as it sends the completion, and Temporal may take a moment to record it.
 */
const SETTLING_MS = 2_000;
const MAX_ENTRIES = 10_000;

interface SharedRead {
  at: number;
  snapshot: Promise<RunSnapshot>;
}

/**
 * Polls of one run that arrive close together share one read (a describe and, while the run is open
 * and its history has grown, a progress query answered by a worker, unless the worker shares this
 * process and published the run's progress itself): a caller polling in a tight
 * loop, or many dashboards watching the same run, cost Temporal one read per window instead of one
 * per request. The window is 100 ms; 500 ms where the worker shares this process and announces each
 * run's end, which ends the window of that run at once. Only polls use it, never a sync wait's answer.
 */
export class PollCache {
  /** Shared reads by run, then by caller (each caller reads a run as its own: ownership is checked). */
  private readonly reads = new Map<string, Map<string, SharedRead>>();
  private readonly progress = new ProgressCache();
  private readonly endedAt = new Map<string, number>();
  private readonly freshMs: number;
  private readonly local: LocalRuns | undefined;

  constructor(
    private readonly client: Client,
    options: { localRuns?: LocalRuns; now?: () => number } = {},
  ) {
    this.now = options.now ?? Date.now;
    this.local = options.localRuns;
    this.freshMs = options.localRuns ? FRESH_MS_HEARING_ENDS : FRESH_MS;
    options.localRuns?.onEnd((runId) => {
      this.reads.delete(runId);
      this.progress.forget(runId);
      this.endedAt.set(runId, this.now());
      if (this.endedAt.size > MAX_ENTRIES) this.endedAt.delete(this.endedAt.keys().next().value!);
    });
  }

  private readonly now: () => number;

  /**
   * The run as a recent read saw it, or a new read shared from now on. `fresh` always reads anew: a
   * caller that learned the run changed (a long poll saw it end) must not be answered an older read
   * by its next poll.
   */
  read(runId: string, callerId: string, options: { fresh?: boolean } = {}): Promise<RunSnapshot> {
    const now = this.now();
    const byCaller = this.reads.get(runId);
    const cached = byCaller?.get(callerId);
    if (cached && !options.fresh && now - cached.at < this.windowMs(runId, now)) return cached.snapshot;
    const entry = { at: now, snapshot: readOwnedRun(this.client, runId, callerId, { progress: this.progress, local: this.local }) };
    // A failed read is not shared beyond the requests already waiting on it (nor does it drop a newer one).
    entry.snapshot.catch(() => this.reads.get(runId)?.get(callerId) === entry && this.reads.get(runId)?.delete(callerId));
    const fresh = byCaller ?? new Map<string, SharedRead>();
    fresh.set(callerId, entry);
    // Oldest first (a Map keeps insertion order): bounded however many runs are polled.
    this.reads.delete(runId);
    this.reads.set(runId, fresh);
    if (this.reads.size > MAX_ENTRIES) this.reads.delete(this.reads.keys().next().value!);
    return entry.snapshot;
  }

  private windowMs(runId: string, now: number): number {
    const ended = this.endedAt.get(runId);
    return ended !== undefined && now - ended < SETTLING_MS ? FRESH_MS : this.freshMs;
  }
}
