import type { Client } from '@temporalio/client';
import { touchSignal } from '../workflows/definitions.js';

const DEFAULT_INTERVAL_MS = 30_000;
const MAX_TRACKED = 10_000;

/**
 * Tells runs someone still cares (polls, stream attaches, sync waits), so they are not cancelled as
 * orphaned. At most one signal per run per 30 s from this API instance keeps the cost of busy
 * polling to a few history events. Fire-and-forget: a closed run simply ignores it.
 */
export class RunToucher {
  private readonly lastSent = new Map<string, number>();

  private readonly intervalMs: number;

  /** With a short orphan timeout (tests, demos) touches go more often, so a polled run is never orphaned. */
  constructor(
    private readonly client: Client,
    orphanTimeoutMs = Infinity,
  ) {
    this.intervalMs = Math.min(DEFAULT_INTERVAL_MS, orphanTimeoutMs / 4);
  }

  /**
   * `aliveSince`, when known, is a moment the run itself counts as touched (its start: its orphan
   * timer starts then), so the first polls of a new run send nothing. Without it, the first call signals.
   */
  touch(runId: string, aliveSince?: number, now = Date.now()): void {
    const last = Math.max(this.lastSent.get(runId) ?? -Infinity, aliveSince ?? -Infinity);
    if (now - last < this.intervalMs) return;
    this.lastSent.delete(runId);
    this.lastSent.set(runId, now);
    // Oldest entries go first (Map keeps insertion order), bounding memory under many runs.
    if (this.lastSent.size > MAX_TRACKED) this.lastSent.delete(this.lastSent.keys().next().value!);
    this.client.workflow
      .getHandle(runId)
      .signal(touchSignal)
      .catch(() => undefined);
  }
}
