import type dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { DnsTimeoutError, type ResolveHost } from './resolve.js';

export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** IPv6 global unicast (RFC 4291): everything public lies inside it; the rest is special-purpose or unassigned. */
const GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3');

/**
 * Whether a resolved address is on the public internet. Fails closed: only an address ipaddr.js
 * classifies as plain unicast (and, for IPv6, inside 2000::/3) passes, so forms it does not know —
 * IPv4-compatible `::a.b.c.d` (`::/96`), NAT64, 6to4 — are refused like loopback, private,
 * link-local, metadata and multicast addresses.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4') return parsed.range() === 'unicast';
  const v6 = parsed as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return isPublicAddress(v6.toIPv4Address().toString());
  return v6.range() === 'unicast' && v6.match(GLOBAL_UNICAST);
}

/** Refusal text shared by every guarded connection; it never names the address, which would map an internal network for the caller. */
export const NON_PUBLIC_REFUSAL = 'refused to connect to a non-public address';

/** Whether a URL's host is an IP literal that must be refused (lookups are skipped for literals, so the guard checks them first). */
export function refusesLiteralHost(url: URL, allowPrivate: boolean): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return !allowPrivate && ipaddr.isValid(host) && !isPublicAddress(host);
}

/** Why a webhook URL is refused, or undefined when it may be used. Checks form, then every address the host resolves to. */
export async function refuseWebhookUrl(url: string, allowPrivate: boolean, resolve: ResolveHost): Promise<string | undefined> {
  if (url.length > MAX_WEBHOOK_URL_LENGTH) return `must be at most ${MAX_WEBHOOK_URL_LENGTH} characters`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a valid URL';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'must be an http or https URL';
  if (parsed.username || parsed.password) return 'must not contain credentials';
  if (allowPrivate) return undefined;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = ipaddr.isValid(host) ? [host] : await resolve(host);
  } catch (err) {
    return err instanceof DnsTimeoutError ? `host "${host}" did not resolve in time (${err.message}); check the name or retry` : `host "${host}" does not resolve`;
  }
  const blocked = addresses.find((a) => !isPublicAddress(a));
  return blocked ? 'resolves to a non-public address; set CHAINPORT_WEBHOOK_ALLOW_PRIVATE=true for local development' : undefined;
}

/**
 * A DNS lookup for outgoing connections (webhooks, http agents) that refuses non-public addresses at connect time,
 * so a host that re-resolves to 127.0.0.1 or 169.254.169.254 after validation (DNS rebinding) is still blocked.
 */
export function guardedLookup(allowPrivate: boolean, resolve: ResolveHost): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then((found) => {
      const list: dns.LookupAddress[] = found.map((address) => ({ address, family: isIP(address) }));
      const refused = allowPrivate ? undefined : list.find((a) => !isPublicAddress(a.address));
      if (refused) return callback(Object.assign(new Error(NON_PUBLIC_REFUSAL), { code: 'ESSRF' }), '', 0);
      if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    }, (err: NodeJS.ErrnoException) => callback(err, '', 0));
  };
}

/** Stable, address-free wording for the network errors Node reports; their own messages name `ip:port`. */
const NETWORK_ERRORS: Record<string, string> = {
  ESSRF: NON_PUBLIC_REFUSAL,
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host lookup failed',
};

/** What to tell a caller about a failed connection, without the resolved address or port Node's message holds. */
export function describeNetworkError(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return NETWORK_ERRORS[code] ?? `network error (${code})`;
  return 'network error';
}
