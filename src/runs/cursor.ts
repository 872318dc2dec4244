import { createHash } from 'node:crypto';

/** A cursor this listing did not issue, or issued for another caller or filter. */
export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

/**
 * Cursors are Temporal's page token plus a check tag over (listing scope, token). A cursor that was
 * not issued for this listing is refused here: sent on, Temporal answers a retryable error for it and
 * the request would spend the client's retry budget before failing as a 500. `scope` names the
 * listing, the caller and the filter, so a cursor never carries over to another.
 */
function tag(scope: string, token: Buffer): string {
  return createHash('sha256').update(`${scope}\u0000`).update(token).digest('base64url').slice(0, 16);
}

export function encodeCursor(scope: string, token: Uint8Array | null | undefined): string | null {
  if (!token || token.length === 0) return null;
  const bytes = Buffer.from(token);
  return `${bytes.toString('base64url')}.${tag(scope, bytes)}`;
}

export function decodeCursor(scope: string, cursor: string | undefined): Buffer | undefined {
  if (cursor === undefined) return undefined;
  const dot = cursor.lastIndexOf('.');
  const token = Buffer.from(cursor.slice(0, Math.max(dot, 0)), 'base64url');
  if (dot < 1 || token.length === 0 || cursor.slice(dot + 1) !== tag(scope, token)) {
    throw new InvalidCursorError('This cursor was not issued for this listing: repeat the first request without a cursor.');
  }
  return token;
}
