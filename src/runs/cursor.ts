import { createHmac, timingSafeEqual } from 'node:crypto';

/** A cursor this listing did not issue, or issued for another caller or filter. */
export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

/**
 * Cursors are Temporal's page token plus an HMAC over (listing scope, token), keyed by a key derived
 * from the service's secret key. Only a cursor this service issued for this listing is accepted: a
 * forged or edited token never reaches Temporal (which would answer a retryable error and spend the
 * client's retry budget before failing as a 500), and `scope` names the listing, the caller and the
 * filter, so a cursor never carries over to another.
 */
function tag(key: Buffer, scope: string, token: Buffer): Buffer {
  return createHmac('sha256', key).update(`${scope}\u0000`).update(token).digest().subarray(0, 16);
}

export function encodeCursor(key: Buffer, scope: string, token: Uint8Array | null | undefined): string | null {
  if (!token || token.length === 0) return null;
  const bytes = Buffer.from(token);
  return `${bytes.toString('base64url')}.${tag(key, scope, bytes).toString('base64url')}`;
}

export function decodeCursor(key: Buffer, scope: string, cursor: string | undefined): Buffer | undefined {
  if (cursor === undefined) return undefined;
  const dot = cursor.lastIndexOf('.');
  const token = Buffer.from(cursor.slice(0, Math.max(dot, 0)), 'base64url');
  const presented = Buffer.from(cursor.slice(dot + 1), 'base64url');
  const expected = token.length === 0 ? undefined : tag(key, scope, token);
  if (dot < 1 || !expected || presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
    throw new InvalidCursorError('This cursor was not issued for this listing: repeat the first request without a cursor.');
  }
  return token;
}
