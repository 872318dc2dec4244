import { z } from 'zod';

/**
 * A piece of an agent's output, pushed the moment the agent emits it. `offset` is the length (UTF-16
 * code units) of that attempt's output (since its last restart) before `text`, so a reader can place it exactly, spot a lost
 * chunk, and merge it with the cumulative heartbeats of the same attempt.
 */
export const tokenChunkSchema = z.object({
  runId: z.string().min(1),
  activityId: z.string().min(1),
  attempt: z.number().int().positive(),
  /** The attempt's output restarts before this chunk (a fallback model took over); absent: 0. */
  restart: z.number().int().positive().optional(),
  offset: z.number().int().nonnegative(),
  text: z.string(),
});

export type TokenChunk = z.infer<typeof tokenChunkSchema>;

/**
 * Carries agent output from activities to the API's stream readers, best effort: a chunk may be lost
 * (readers fall back to heartbeats, which stay the durable record) but is never altered.
 */
export interface TokenChannel {
  /** Sends a chunk to the run's subscribers. Never throws: a failure is logged and the chunk dropped. */
  publish(chunk: TokenChunk): void;
  /** Calls `onChunk` with each chunk of the run published from now on; the returned function stops it. */
  subscribe(runId: string, onChunk: (chunk: TokenChunk) => void): () => void;
  /** Releases connections; publish and subscribe do nothing afterwards. */
  close(): Promise<void>;
}

/** The local subscribers of each run, for a channel to fan chunks out to. */
export class RunListeners {
  private readonly byRun = new Map<string, Set<(chunk: TokenChunk) => void>>();

  /** Adds a listener; `first` says the run had none before (time to subscribe upstream). */
  add(runId: string, onChunk: (chunk: TokenChunk) => void): { first: boolean; remove: () => { last: boolean } } {
    let listeners = this.byRun.get(runId);
    const first = !listeners;
    if (!listeners) this.byRun.set(runId, (listeners = new Set()));
    const own = listeners;
    // A fresh wrapper per call, so the same function subscribed twice is removed once per unsubscribe.
    const entry = (chunk: TokenChunk) => onChunk(chunk);
    own.add(entry);
    return {
      first,
      remove: () => {
        if (!own.delete(entry) || own.size > 0 || this.byRun.get(runId) !== own) return { last: false };
        this.byRun.delete(runId);
        return { last: true };
      },
    };
  }

  /** Hands the chunk to each of its run's listeners; a listener that throws does not stop the others. */
  emit(chunk: TokenChunk, onError: (err: unknown) => void): void {
    for (const listener of this.byRun.get(chunk.runId) ?? []) {
      try {
        listener(chunk);
      } catch (err) {
        onError(err);
      }
    }
  }

  clear(): void {
    this.byRun.clear();
  }
}
