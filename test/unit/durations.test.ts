import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { durationMs, parseDuration } from '../../src/durations.js';

describe('parseDuration', () => {
  it('reads each unit into milliseconds', () => {
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('20s'), 20_000);
    assert.equal(parseDuration('10m'), 600_000);
    assert.equal(parseDuration('2h'), 7_200_000);
    assert.equal(parseDuration('3d'), 259_200_000);
    assert.equal(parseDuration('0s'), 0);
  });

  it('accepts decimals and rounds to whole milliseconds', () => {
    assert.equal(parseDuration('1.5h'), 5_400_000);
    assert.equal(parseDuration('0.5s'), 500);
    assert.equal(parseDuration('1.25ms'), 1);
    assert.equal(parseDuration('2.5ms'), 3);
  });

  it('ignores surrounding whitespace', () => {
    assert.equal(parseDuration('  30s\n'), 30_000);
  });

  it('returns undefined for anything that is not a number with a unit', () => {
    for (const text of ['', '10', 's', '-5s', '5 s', '5sec', '5S', '.5s', '5.s', '1e3ms', '1h30m', 'soon', '30s later']) {
      assert.equal(parseDuration(text), undefined, JSON.stringify(text));
    }
  });
});

describe('durationMs schema field', () => {
  it('turns a duration string into milliseconds and keeps a number of milliseconds', () => {
    assert.equal(durationMs.parse('90s'), 90_000);
    assert.equal(durationMs.parse(1_500), 1_500);
    assert.equal(durationMs.parse(0), 0);
  });

  it('rejects a bad string with a message naming it and showing the format', () => {
    const result = durationMs.safeParse('forever');
    assert.equal(result.success, false);
    assert.match(result.error!.issues[0]!.message, /"forever" is not a duration: use a number with ms, s, m, h or d, e\.g\. 30s/);
  });

  it('rejects negative, fractional and non-numeric millisecond values', () => {
    for (const value of [-1, 1.5, true, null, {}]) assert.equal(durationMs.safeParse(value).success, false, JSON.stringify(value));
  });

  it('parses a prefaulted default the same way as a given value', () => {
    const schema = z.object({ timeout: durationMs.prefault('30s') });
    assert.deepEqual(schema.parse({}), { timeout: 30_000 });
    assert.deepEqual(schema.parse({ timeout: '2m' }), { timeout: 120_000 });
  });
});

