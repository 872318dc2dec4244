import type dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { DnsTimeoutError, type ResolveHost } from './resolve.js';

export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** Whether a resolved address is on the public internet (not loopback, private, link-local, metadata, multicast…). */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed.range() === 'unicast';
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
  return blocked ? `resolves to a non-public address (${blocked}); set CHAINPORT_WEBHOOK_ALLOW_PRIVATE=true for local development` : undefined;
}

/**
 * A DNS lookup for outgoing webhook connections that refuses non-public addresses at connect time,
 * so a host that re-resolves to 127.0.0.1 or 169.254.169.254 after validation (DNS rebinding) is still blocked.
 */
export function guardedLookup(allowPrivate: boolean, resolve: ResolveHost): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then((found) => {
      const list: dns.LookupAddress[] = found.map((address) => ({ address, family: isIP(address) }));
      const refused = allowPrivate ? undefined : list.find((a) => !isPublicAddress(a.address));
      if (refused) return callback(Object.assign(new Error(`refused to connect to non-public address ${refused.address}`), { code: 'ESSRF' }), '', 0);
      if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    }, (err: NodeJS.ErrnoException) => callback(err, '', 0));
  };
}
