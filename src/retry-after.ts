// The one Retry-After reader: the typed client, the webhook poster and the agents all use it. No Node
// imports: the client, which browsers compile too, imports this file.

const DELTA_SECONDS = /^\s*\d+\s*$/;
/** Every HTTP-date form starts with the day's name; Date.parse alone would take "-1" or "1.5" for dates. */
const HTTP_DATE = /^\s*[A-Za-z]{3}/;

/**
 * A `Retry-After` value (RFC 9110 §10.2.3: delta-seconds or an HTTP date) as milliseconds from `now`;
 * a date in the past is 0. Undefined when the header is absent or unreadable.
 */
export function retryAfterMs(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  if (DELTA_SECONDS.test(value)) return Number(value) * 1000;
  const at = HTTP_DATE.test(value) ? Date.parse(value) : NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
