import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Bearer tokens that carry a few text claims and an expiry, signed with HMAC-SHA256, for URLs that
 * must open one thing without an API key (a run's stream, an input step's respond link).
 * Format: base64url(claims joined by NUL, then the expiry in ms) + "." + base64url(HMAC).
 */
export class SignedClaims {
  constructor(private readonly key: Buffer) {}

  sign(claims: readonly string[], expiresAt: Date): string {
    const body = Buffer.from([...claims, String(expiresAt.getTime())].join('\u0000')).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  /** The claims of a genuine, unexpired token with `count` claims; undefined for anything else. */
  open(token: string, count: number, now = Date.now()): string[] | undefined {
    const [body, mac, extra] = token.split('.');
    if (!body || !mac || extra !== undefined) return undefined;
    const expected = Buffer.from(this.mac(body));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const parts = Buffer.from(body, 'base64url').toString('utf8').split('\u0000');
    if (parts.length !== count + 1 || !(Number(parts[count]) > now)) return undefined;
    return parts.slice(0, count);
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}
