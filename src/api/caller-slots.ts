import { callerSlotsInUse, rateLimitRejections } from '../metrics.js';
import { rateLimitHeaders } from './middleware/rate-limit.js';
import { ApiError } from './problem.js';
import { HEADER } from './wire.js';

/** Long-lived or slow things a caller holds while a request is open. */
export type SlotKind = 'waits' | 'streams' | 'lookups';

const WHAT: Record<SlotKind, string> = { waits: 'sync requests waiting', streams: 'event streams open', lookups: 'webhook host look-ups in progress' };

/** Seconds a refused caller is told to wait: slots free as soon as one of its requests ends. */
const RETRY_AFTER_S = 1;

/**
 * Per-caller counts of requests in flight, each kind capped, so one caller cannot hold every socket,
 * Temporal long-poll or resolver slot of an instance. Counts are per API instance (in memory).
 */
export class CallerSlots {
  private readonly held = new Map<string, number>();

  constructor(private readonly caps: Record<SlotKind, number>) {}

  /** Runs `work` holding one of the caller's slots of `kind`, released however it ends; none free: 429 rate_limited. */
  async with<T>(callerId: string, kind: SlotKind, work: () => Promise<T>): Promise<T> {
    const release = this.acquire(callerId, kind);
    try {
      return await work();
    } finally {
      release();
    }
  }

  private acquire(callerId: string, kind: SlotKind): () => void {
    const key = `${kind}\u0000${callerId}`;
    const cap = this.caps[kind];
    const count = this.held.get(key) ?? 0;
    if (count >= cap) {
      rateLimitRejections.inc({ limit: kind });
      throw new ApiError('rate_limited', `You already have ${count} ${WHAT[kind]} (limit ${cap}). Retry once one has ended.`, {
        headers: { ...rateLimitHeaders(kind, cap, RETRY_AFTER_S, 0, RETRY_AFTER_S), [HEADER.retryAfter]: String(RETRY_AFTER_S) },
      });
    }
    this.held.set(key, count + 1);
    callerSlotsInUse.inc({ kind });
    return () => {
      const left = (this.held.get(key) ?? 1) - 1;
      if (left === 0) this.held.delete(key);
      else this.held.set(key, left);
      callerSlotsInUse.dec({ kind });
    };
  }
}
