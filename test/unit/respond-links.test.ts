import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { RespondLinks } from '../../src/security/respond-links.js';

const KEY = randomBytes(32);
const TARGET = { runId: 'run-0123456789abcdef0123', step: 'approval', callerId: 'alice' };
const tokenOf = (url: string) => url.split('/').at(-1)!;

describe('respond links', () => {
  const links = new RespondLinks(KEY, 'https://chainport.example.com/');
  const expires = new Date(Date.now() + 60_000);

  it('is an absolute URL under the public address, the same for the same step and expiry', () => {
    const url = links.url(TARGET, expires);
    assert.match(url, /^https:\/\/chainport\.example\.com\/api\/v1\/input\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    assert.equal(links.url(TARGET, expires), url, 'every delivery attempt signs the same link');
    assert.deepEqual(links.verify(tokenOf(url)), TARGET);
  });

  it('opens nothing once the step expired, when tampered with, or under another key', () => {
    const token = tokenOf(links.url(TARGET, expires));
    assert.equal(links.verify(token, expires.getTime()), undefined, 'expired');
    const [body, mac] = token.split('.');
    const forged = Buffer.from(Buffer.from(body!, 'base64url').toString('utf8').replace('approval', 'publisher')).toString('base64url');
    assert.equal(links.verify(`${forged}.${mac}`), undefined, 'another step under the same MAC');
    assert.equal(links.verify(`${body}.${mac}x`), undefined);
    assert.equal(links.verify(`${body}.${mac}.extra`), undefined);
    assert.equal(links.verify('not-a-token'), undefined);
    assert.equal(new RespondLinks(randomBytes(32), 'https://x.test').verify(token), undefined, 'another key');
  });
});
