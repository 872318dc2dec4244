import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { retryAfterMs } from '../../src/retry-after.js';

describe('retryAfterMs', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('reads delta-seconds as milliseconds', () => {
    assert.equal(retryAfterMs('3', now), 3_000);
    assert.equal(retryAfterMs(' 0 ', now), 0);
  });

  it('reads an HTTP date as the time left until it, and a past date as 0', () => {
    assert.equal(retryAfterMs('Thu, 01 Jan 2026 00:00:05 GMT', now), 5_000);
    assert.equal(retryAfterMs('Wed, 31 Dec 2025 23:59:00 GMT', now), 0);
  });

  it('answers undefined for an absent or unreadable header', () => {
    for (const value of [undefined, null, '', '  ', 'soon', '-1', '1.5']) assert.equal(retryAfterMs(value, now), undefined, String(value));
  });
});
