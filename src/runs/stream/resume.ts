import { RUN_EVENT, type RunEvent } from './events.js';
import { comparePositions, type Position } from './ids.js';

/**
 * The part of `event` a client that already has everything up to `after` still needs: the event,
 * nothing, or — for output whose chunk straddles the resume point — the rest of the chunk, so the
 * client's text for that attempt continues exactly where it stopped.
 */
export function resumeAfter(event: RunEvent, after: Position | undefined): RunEvent | undefined {
  if (!after) return event;
  if (comparePositions(event.position, after) <= 0) return undefined;
  if (event.event !== RUN_EVENT.agentOutput) return event;
  const { position, data } = event;
  const straddles = position.event === after.event && position.attempt === after.attempt && (position.restart ?? 0) === (after.restart ?? 0) && data.offset < after.offset;
  if (!straddles) return event;
  return { ...event, data: { ...data, chunk: data.chunk.slice(after.offset - data.offset), offset: after.offset } };
}
