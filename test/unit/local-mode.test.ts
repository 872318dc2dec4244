import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Context } from 'koa';
import { isLocalRequest } from '../../src/api/local-mode.js';

/** The parts of a Koa context isLocalRequest reads. */
function request(peer: string, headers: Record<string, string> = {}): Context {
  const lower = Object.fromEntries(Object.entries({ host: '127.0.0.1:3000', ...headers }).map(([k, v]) => [k.toLowerCase(), v]));
  return { socket: { remoteAddress: peer }, get: (name: string) => lower[name.toLowerCase()] ?? '' } as unknown as Context;
}

describe('isLocalRequest (who may see the development key)', () => {
  it('accepts this machine’s browser on a loopback name, IPv4, IPv6 or mapped', () => {
    assert.equal(isLocalRequest(request('127.0.0.1')), true);
    assert.equal(isLocalRequest(request('::1', { host: '[::1]:3000' })), true);
    assert.equal(isLocalRequest(request('::ffff:127.0.0.1', { host: 'localhost:3000', 'sec-fetch-site': 'same-origin' })), true);
  });

  it('refuses a peer on another address, even with a loopback Host', () => {
    assert.equal(isLocalRequest(request('192.168.1.20')), false);
    assert.equal(isLocalRequest(request('10.0.0.5', { host: 'localhost' })), false);
  });

  it('refuses another Host name, a proxy in between and a cross-site request', () => {
    assert.equal(isLocalRequest(request('127.0.0.1', { host: 'rebound.example:3000' })), false);
    assert.equal(isLocalRequest(request('127.0.0.1', { 'x-forwarded-for': '203.0.113.7' })), false);
    assert.equal(isLocalRequest(request('127.0.0.1', { 'x-real-ip': '203.0.113.7' })), false);
    assert.equal(isLocalRequest(request('127.0.0.1', { 'sec-fetch-site': 'cross-site' })), false);
    assert.equal(isLocalRequest(request('127.0.0.1', { host: '' })), false);
  });
});
