import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * How long a stream token opens its run's event stream. It is a bearer credential in a URL (proxy and
 * browser logs may keep it), so it lives about a minute: enough to connect; a client asks for a new
 * one to reconnect later.
 */
export const STREAM_TOKEN_TTL_MS = 60_000;

/**
 * Short-lived, read-only tokens that open one run's event stream for one caller. Browsers'
 * EventSource cannot send an Authorization header, and an API key must never travel in a URL; a
 * stream token may, because it opens nothing else and expires in a minute. Whoever holds it can read
 * that run's stream until then.
 * Format: base64url("<caller>.<run>.<expiry ms>") + "." + base64url(HMAC-SHA256).
 */
export class StreamTokens {
  constructor(private readonly key: Buffer) {}

  issue(callerId: string, runId: string, now = Date.now()): { token: string; expiresAt: Date } {
    const expiresAt = new Date(now + STREAM_TOKEN_TTL_MS);
    const claims = Buffer.from(`${callerId}\u0000${runId}\u0000${expiresAt.getTime()}`).toString('base64url');
    return { token: `${claims}.${this.mac(claims)}`, expiresAt };
  }

  /** The caller the token was issued to, when it is genuine, unexpired and for this run; otherwise undefined. */
  verify(token: string, runId: string, now = Date.now()): string | undefined {
    const [claims, mac, extra] = token.split('.');
    if (!claims || !mac || extra !== undefined) return undefined;
    const expected = Buffer.from(this.mac(claims));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const [callerId, tokenRun, expiry] = Buffer.from(claims, 'base64url').toString('utf8').split('\u0000');
    if (!callerId || tokenRun !== runId || !(Number(expiry) > now)) return undefined;
    return callerId;
  }

  private mac(claims: string): string {
    return createHmac('sha256', this.key).update(claims).digest('base64url');
  }
}
