import type { Client } from '@temporalio/client';
import type { Position } from './ids.js';
import { RunReader, type ReaderOptions, type RunSubscriber, type Subscription } from './reader.js';

/** What the stream gauge reports: open client streams and the readers serving them. */
export interface StreamStats {
  openStreams: number;
  activeReaders: number;
}

/**
 * The run readers of one API instance: at most one per run, shared by every client watching it, so
 * 100 viewers of a run cost the Temporal calls of one. A reader starts with its first subscriber and
 * stops — its long-poll aborted, its timers cleared — when the last one leaves or the run ends.
 */
export class RunReaders {
  private readonly readers = new Map<string, RunReader>();

  constructor(
    private readonly client: Client,
    private readonly options: ReaderOptions = {},
  ) {}

  /** Watches a run from just after `after` (from the start when undefined). */
  subscribe(runId: string, after: Position | undefined, subscriber: RunSubscriber): Subscription {
    let reader = this.readers.get(runId);
    if (!reader) {
      const created = new RunReader(this.client, runId, this.options, () => {
        if (this.readers.get(runId) === created) this.readers.delete(runId);
      });
      this.readers.set(runId, created);
      created.start();
      reader = created;
    }
    return reader.subscribe(after, subscriber);
  }

  stats(): StreamStats {
    let openStreams = 0;
    for (const reader of this.readers.values()) openStreams += reader.subscriberCount;
    return { openStreams, activeReaders: this.readers.size };
  }

  /** Ends every stream and stops every reader (on shutdown). */
  closeAll(): void {
    for (const reader of [...this.readers.values()]) reader.stop();
  }
}
