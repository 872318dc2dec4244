// The one Retry-After reader: the typed client, the webhook poster and the agents all use it. No Node
// imports: the client, which browsers compile too, imports this file.

const DELTA_SECONDS = /^\s*\d+\s*$/;

/**
 * A `Retry-After` value (RFC 9110 §10.2.3: delta-seconds or an HTTP date) as milliseconds from `now`;
 * a date in the past is 0. Undefined when the header is absent or unreadable.
 */
export function retryAfterMs(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  if (DELTA_SECONDS.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
