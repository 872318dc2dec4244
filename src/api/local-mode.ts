import ipaddr from 'ipaddr.js';
import type { Context } from 'koa';

/**
 * Whether a request comes from a browser on this machine, straight to this process: the peer is a
 * loopback address, no proxy stands between (a proxy on the same machine would make every visitor look
 * local), the Host is a loopback name (a DNS-rebound page on another name is refused) and, where the
 * browser says, the request is same-origin. Only then may the playground offer the development key.
 */
export function isLocalRequest(ctx: Context): boolean {
  const peer = ctx.socket.remoteAddress;
  if (!peer || !ipaddr.isValid(peer) || ipaddr.process(peer).range() !== 'loopback') return false;
  if (ctx.get('forwarded') || ctx.get('x-forwarded-for') || ctx.get('x-real-ip')) return false;
  if (!isLoopbackHost(ctx.get('host'))) return false;
  const site = ctx.get('sec-fetch-site');
  return site === '' || site === 'same-origin';
}

function isLoopbackHost(host: string): boolean {
  let name: string;
  try {
    name = new URL(`http://${host}`).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return false;
  }
  if (name === 'localhost') return true;
  return ipaddr.isValid(name) && ipaddr.process(name).range() === 'loopback';
}
