// Event ids of a run's stream. Every id names a position in the run, not a delivery: the same
// position gets the same id on every attach and on every API instance, so a client can resume from
// any id it was sent, and any two ids compare.
//
//   "<E>"             a lifecycle event: E is the Temporal history event id it comes from
//   "<S>.<a>.0"       agent.retrying: the agent scheduled at history event S starts attempt a
//   "<S>.<a>.<o>"     agent.output: attempt a of that agent's output, up to character o (o >= 1)
//   "<S>.<a>.<r>.0"   agent.retrying (reason fallback): attempt a restarts its output for the r-th time (r >= 1)
//   "<S>.<a>.<r>.<o>" agent.output: attempt a's output since its r-th restart, up to character o
//
// Ordered as tuples (E, 0, 0, 0) < (S, a, r, o), the three-part form having r = 0: an agent's output,
// retries and restarts sort after its agent.started (event S) and before its agent.completed (a later
// history event).

/** A position in a run's event stream. */
export interface Position {
  /** History event id: the event itself, or the agent's ActivityTaskScheduled event. */
  event: number;
  /** Attempt number for agent output and retries; 0 for lifecycle events. */
  attempt: number;
  /** Restarts of the attempt's output before this position (fallbacks); absent: 0. */
  restart?: number;
  /** For agent output, the end (exclusive) of the chunk in that attempt's text; otherwise 0. */
  offset: number;
}

export const EVENT_ID = /^(\d{1,15})(?:\.(\d{1,9})(?:\.([1-9]\d{0,8}))?\.(\d{1,12}))?$/;

export function formatId({ event, attempt, restart, offset }: Position): string {
  if (attempt === 0) return String(event);
  return restart ? `${event}.${attempt}.${restart}.${offset}` : `${event}.${attempt}.${offset}`;
}

/** The position an id names, or undefined when it is not an id this service sends. */
export function parseId(id: string): Position | undefined {
  const match = EVENT_ID.exec(id.trim());
  if (!match) return undefined;
  const restart = Number(match[3] ?? 0);
  return { event: Number(match[1]), attempt: Number(match[2] ?? 0), ...(restart > 0 && { restart }), offset: Number(match[4] ?? 0) };
}

/** Negative, zero or positive as `a` is before, at or after `b`. */
export function comparePositions(a: Position, b: Position): number {
  return a.event - b.event || a.attempt - b.attempt || (a.restart ?? 0) - (b.restart ?? 0) || a.offset - b.offset;
}
