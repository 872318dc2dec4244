import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { postOnce } from '../../src/webhooks/post.js';
import { describeNetworkError, guardedLookup, isPublicAddress } from '../../src/webhooks/ssrf.js';
import { systemResolve } from '../../src/webhooks/resolve.js';

describe('isPublicAddress', () => {
  it('accepts public unicast IPv4 and IPv6', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) assert.equal(isPublicAddress(address), true, address);
  });

  it('refuses loopback, private, link-local, metadata, CGNAT and unspecified addresses', () => {
    for (const address of ['127.0.0.1', '10.0.0.8', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:169.254.169.254']) {
      assert.equal(isPublicAddress(address), false, address);
    }
  });

  it('fails closed on IPv4-compatible IPv6 (::/96), which ipaddr.js calls unicast', () => {
    for (const address of ['::7f00:1', '::a9fe:a9fe', '::a00:8']) assert.equal(isPublicAddress(address), false, address);
  });

  it('fails closed on forms outside IPv6 global unicast or in special ranges (NAT64, 6to4, documentation, discard)', () => {
    for (const address of ['64:ff9b::7f00:1', '2002:7f00:1::1', '2001:db8::1', '100::1', '4000::1', 'not-an-address']) assert.equal(isPublicAddress(address), false, address);
  });
});

describe('guardedLookup', () => {
  it('refuses a name resolving to loopback without naming the address', async () => {
    const error = await new Promise<NodeJS.ErrnoException | null>((resolve) => guardedLookup(false, systemResolve)('localhost', {}, (err) => resolve(err)));
    assert.equal(error?.code, 'ESSRF');
    assert.doesNotMatch(error?.message ?? '', /127\.0\.0\.1|::1/);
  });
});

describe('describeNetworkError', () => {
  it('words connection errors without the address and port Node puts in their messages', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:6379'), { code: 'ECONNREFUSED' });
    assert.equal(describeNetworkError(refused), 'connection refused');
    assert.equal(describeNetworkError(Object.assign(new Error('x 10.1.2.3'), { code: 'EWHATEVER' })), 'network error (EWHATEVER)');
    assert.equal(describeNetworkError(new Error('socket 10.1.2.3')), 'network error');
  });
});

describe('postOnce (webhook delivery)', () => {
  const post = (url: string, allowPrivate: boolean) => postOnce(url, {}, '{}', { timeoutMs: 2_000, signal: new AbortController().signal, allowPrivate, resolve: systemResolve });

  it('reports a refused connection without echoing ip:port', async () => {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const result = await post(`http://127.0.0.1:${port}/hook`, true);
    assert.equal(result.error, 'connection refused');
  });

  it('refuses IP-literal and IPv4-compatible IPv6 targets without naming them', async () => {
    for (const url of ['http://169.254.169.254/latest', 'http://[::7f00:1]:9/x', 'http://[::ffff:7f00:1]:9/x']) {
      const result = await post(url, false);
      assert.equal(result.error, 'refused to connect to a non-public address', url);
    }
  });
});
