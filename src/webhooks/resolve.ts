import { Resolver, lookup } from 'node:dns/promises';
import type { Config } from '../config.js';

/** The host did not resolve within the deadline; the message says so for the caller. */
export class DnsTimeoutError extends Error {
  override name = 'DnsTimeoutError';
  readonly code = 'ETIMEOUT';
}

export interface ResolveOptions {
  /** `ip` or `ip:port` of DNS servers; undefined: the system's (from resolv.conf). */
  servers: string[] | undefined;
  timeoutMs: number;
}

/** Every IPv4 and IPv6 address of a host name. */
export type ResolveHost = (host: string) => Promise<string[]>;

const NO_RECORDS = new Set(['ENODATA', 'ENOTFOUND']);

/**
 * Resolves with c-ares (dns.Resolver), never getaddrinfo: getaddrinfo runs on libuv's 4 shared
 * threads and has no deadline, so a few names whose servers never answer would stall every file and
 * crypto call of the process. One try, at most `timeoutMs`; A and AAAA are asked in parallel.
 * Rejects with DnsTimeoutError on the deadline, or the resolver's error (ENOTFOUND…) when there is no address.
 */
export function hostResolver({ servers, timeoutMs }: ResolveOptions): ResolveHost {
  return async (host) => {
    const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
    if (servers?.length) resolver.setServers(servers);
    // c-ares's own timer is per server and query; this one bounds the whole look-up.
    const deadline = setTimeout(() => resolver.cancel(), timeoutMs);
    try {
      const answers = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
      const addresses = answers.flatMap((a) => (a.status === 'fulfilled' ? a.value : []));
      if (addresses.length > 0) return addresses;
      const errors = answers.map((a) => (a.status === 'rejected' ? (a.reason as NodeJS.ErrnoException) : undefined));
      if (errors.some((e) => e?.code === 'ETIMEOUT' || e?.code === 'ECANCELLED')) throw new DnsTimeoutError(`DNS gave no answer within ${timeoutMs} ms`);
      throw errors.find((e) => e && !NO_RECORDS.has(e.code ?? '')) ?? errors[0] ?? new Error(`${host} has no address`);
    } finally {
      clearTimeout(deadline);
    }
  };
}

/**
 * The resolver webhook checks and deliveries use. With private targets allowed (development) it is the
 * system's, so `localhost` and /etc/hosts names work; otherwise c-ares with a deadline.
 */
export function webhookResolver({ allowPrivate, dns }: Config['webhooks']): ResolveHost {
  return allowPrivate ? systemResolve : hostResolver(dns);
}

/** The system's resolver (getaddrinfo: /etc/hosts, `localhost`, container DNS), as http agents use it. */
export const systemResolve: ResolveHost = async (host) => (await lookup(host, { all: true })).map((a) => a.address);
