import type { Client } from '@temporalio/client';
import { ProgressCache } from './progress-cache.js';
import { readOwnedRun, type RunSnapshot } from './read.js';

/** How old a shared read may be: far below the 2 s Retry-After polls are told to wait. */
const FRESH_MS = 100;
const MAX_ENTRIES = 10_000;

/**
 * Polls of one run that arrive within 100 ms of each other share one read (a describe and, while the
 * run is open, a progress query answered by a worker): a caller polling in a tight loop, or many
 * dashboards watching the same run, cost Temporal one read per 100 ms instead of one per request.
 * A poll's answer is at most that old; only polls use it, never the answer of a sync wait.
 */
export class PollCache {
  private readonly reads = new Map<string, { at: number; snapshot: Promise<RunSnapshot> }>();
  private readonly progress = new ProgressCache();

  constructor(
    private readonly client: Client,
    private readonly now: () => number = Date.now,
  ) {}

  read(runId: string, callerId: string): Promise<RunSnapshot> {
    const key = `${callerId}\u0000${runId}`;
    const cached = this.reads.get(key);
    if (cached && this.now() - cached.at < FRESH_MS) return cached.snapshot;
    const entry = { at: this.now(), snapshot: readOwnedRun(this.client, runId, callerId, this.progress) };
    // A failed read is not shared beyond the requests already waiting on it (nor does it drop a newer one).
    entry.snapshot.catch(() => this.reads.get(key) === entry && this.reads.delete(key));
    this.reads.delete(key);
    this.reads.set(key, entry);
    // Oldest first (a Map keeps insertion order): bounded however many runs are polled.
    if (this.reads.size > MAX_ENTRIES) this.reads.delete(this.reads.keys().next().value!);
    return entry.snapshot;
  }
}
