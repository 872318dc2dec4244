import { createHash } from 'node:crypto';

/**
 * The run id for (caller, Idempotency-Key): deterministic, so a repeat of the request addresses the
 * same workflow and Temporal's ID conflict policy guarantees one run however many requests race.
 */
export function idempotentRunId(callerId: string, key: string): string {
  const digest = createHash('sha256').update(`${callerId}\u0000${key}`).digest('hex');
  return `run-k${digest.slice(0, 31)}`;
}

/** A fingerprint of the parts of a request that define the run; a repeat with a different one is a conflict. */
export function requestFingerprint(parts: { chain: string; input: unknown; webhook?: unknown; max_cost?: unknown; rerun_of?: unknown }): string {
  // `rerun_of` only when set (undefined members are left out), so a plain start's fingerprint is what it always was.
  return createHash('sha256')
    .update(canonicalJson({ chain: parts.chain, input: parts.input ?? null, webhook: parts.webhook ?? null, max_cost: parts.max_cost ?? null, rerun_of: parts.rerun_of }))
    .digest('hex');
}

/** JSON with object keys sorted, so equal values always serialise to equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
