import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProgressCache } from '../../src/runs/progress-cache.js';
import type { RunState } from '../../src/workflows/types.js';

const state = (current: string) => ({ run_id: 'r', current_agent: current }) as unknown as RunState;

describe('the progress of an open run, keyed by its history length', () => {
  it('answers only while the history has the length it was read at', () => {
    const cache = new ProgressCache();
    cache.set('r', 11, state('writer'));
    assert.equal(cache.get('r', 11)?.current_agent, 'writer');
    assert.equal(cache.get('r', 14), undefined, 'a longer history means the workflow may have moved on');
    assert.equal(cache.get('other', 11), undefined);
  });

  it('forgets a run once it is closed', () => {
    const cache = new ProgressCache();
    cache.set('r', 11, state('writer'));
    cache.forget('r');
    assert.equal(cache.get('r', 11), undefined);
  });

  it('stays bounded however many runs are polled, dropping the oldest', () => {
    const cache = new ProgressCache();
    for (let i = 0; i <= 10_000; i++) cache.set(`run-${i}`, 5, state('a'));
    assert.equal(cache.get('run-0', 5), undefined);
    assert.ok(cache.get('run-10000', 5));
  });
});
