import type { Client } from '@temporalio/client';
import { CHAIN_WORKFLOW, CallerIdKey } from '../workflows/definitions.js';
import { SharedReads } from './shared-reads.js';
import { EXECUTION_STATUS, WORKFLOW_TYPE, and, equals } from './visibility-query.js';

/** How many of a caller's runs are in progress, from Temporal visibility (eventually consistent, by moments). */
export async function countRunningRuns(client: Client, callerId: string): Promise<number> {
  const { count } = await client.workflow.count(and(equals(WORKFLOW_TYPE, CHAIN_WORKFLOW), equals(CallerIdKey, callerId), equals(EXECUTION_STATUS, 'Running')));
  return count;
}

/** How old a caller's running-run count read from visibility may grow before a start refreshes it. */
const DEFAULT_REFRESH_MS = 1_000;

interface Reading {
  /** Running runs visibility reported at `readAt`. */
  count: number;
  readAt: number;
  /** Runs this instance started since that reading. */
  startedSince: number;
}

export type Admission = { admitted: true } | { admitted: false; running: number };

/**
 * The concurrent-run limit without a visibility `count` on every start. A caller's running runs are
 * read from Temporal visibility about once per second and the starts this instance admits since are
 * added on top. Visibility is the source, so the count survives restarts and sees every API instance;
 * between readings other instances' starts are not seen, so a burst spread over N instances can pass
 * the limit by what those instances start within a second (eventually consistent). Only a caller's
 * first start waits for a reading: an aged one is refreshed behind the start that found it (a count
 * takes tens of milliseconds on a loaded server, more on a remote cluster), and the starts admitted
 * meanwhile are kept on top of the new reading. A start that would be refused always waits for a
 * fresh reading first, so nobody is refused on a stale count.
 */
export class RunningRuns {
  private readonly readings = new Map<string, Reading>();
  private readonly reads = new SharedReads<Reading>();

  constructor(
    private readonly client: Client,
    private readonly refreshMs = DEFAULT_REFRESH_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Admits one more run for the caller when it has fewer than `limit` running, and counts it. */
  async admit(callerId: string, limit: number): Promise<Admission> {
    const cached = this.readings.get(callerId);
    // A failed refresh leaves the last reading; the next start past it, or a refusal, tries again.
    if (cached && this.now() - cached.readAt >= this.refreshMs) this.read(callerId).catch(() => {});
    let reading = cached ?? (await this.read(callerId));
    // At the limit on a reading from before: runs may have ended since, so read again before refusing.
    if (reading === cached && reading.count + reading.startedSince >= limit) reading = await this.read(callerId);
    const running = reading.count + reading.startedSince;
    if (running >= limit) return { admitted: false, running };
    reading.startedSince += 1;
    return { admitted: true };
  }

  /**
   * One visibility read per caller at a time; concurrent admissions share it. The starts admitted on
   * the previous reading while it was under way count on top of the new one (visibility may not show
   * them yet).
   */
  private read(callerId: string): Promise<Reading> {
    return this.reads.read(callerId, async () => {
      const readAt = this.now();
      const previous = this.readings.get(callerId);
      const admittedBefore = previous?.startedSince ?? 0;
      const count = await countRunningRuns(this.client, callerId);
      const reading = { count, readAt, startedSince: (previous?.startedSince ?? 0) - admittedBefore };
      this.readings.set(callerId, reading);
      return reading;
    });
  }
}
