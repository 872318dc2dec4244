// Event ids of a run's stream. Every id names a position in the run, not a delivery: the same
// position gets the same id on every attach and on every API instance, so a client can resume from
// any id it was sent, and any two ids compare.
//
//   "<E>"        a lifecycle event: E is the Temporal history event id it comes from
//   "<S>.<a>.0"  agent.retrying: the agent scheduled at history event S starts attempt a
//   "<S>.<a>.<o>" agent.output: attempt a of that agent's output, up to character o (o >= 1)
//
// Ordered as tuples (E, 0, 0) < (S, a, o): an agent's output and retries sort after its
// agent.started (event S) and before its agent.completed (a later history event).

/** A position in a run's event stream. */
export interface Position {
  /** History event id: the event itself, or the agent's ActivityTaskScheduled event. */
  event: number;
  /** Attempt number for agent output and retries; 0 for lifecycle events. */
  attempt: number;
  /** For agent output, the end (exclusive) of the chunk in that attempt's text; otherwise 0. */
  offset: number;
}

export const EVENT_ID = /^(\d{1,15})(?:\.(\d{1,9})\.(\d{1,12}))?$/;

export function formatId({ event, attempt, offset }: Position): string {
  return attempt === 0 ? String(event) : `${event}.${attempt}.${offset}`;
}

/** The position an id names, or undefined when it is not an id this service sends. */
export function parseId(id: string): Position | undefined {
  const match = EVENT_ID.exec(id.trim());
  if (!match) return undefined;
  return { event: Number(match[1]), attempt: Number(match[2] ?? 0), offset: Number(match[3] ?? 0) };
}

/** Negative, zero or positive as `a` is before, at or after `b`. */
export function comparePositions(a: Position, b: Position): number {
  return a.event - b.event || a.attempt - b.attempt || a.offset - b.offset;
}
