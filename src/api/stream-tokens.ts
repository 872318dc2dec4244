import { SignedClaims } from '../security/signed-claims.js';

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
 */
export class StreamTokens {
  private readonly claims: SignedClaims;

  constructor(key: Buffer) {
    this.claims = new SignedClaims(key);
  }

  issue(callerId: string, runId: string, now = Date.now()): { token: string; expiresAt: Date } {
    const expiresAt = new Date(now + STREAM_TOKEN_TTL_MS);
    return { token: this.claims.sign([callerId, runId], expiresAt), expiresAt };
  }

  /** The caller the token was issued to, when it is genuine, unexpired and for this run; otherwise undefined. */
  verify(token: string, runId: string, now = Date.now()): string | undefined {
    const [callerId, tokenRun] = this.claims.open(token, 2, now) ?? [];
    return callerId && tokenRun === runId ? callerId : undefined;
  }
}
