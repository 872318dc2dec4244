import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatOutput } from '../../src/cli/follow.js';
import { summary } from '../../src/cli/stream-view.js';
import { terminalSafe } from '../../src/cli/terminal-text.js';

const HOSTILE = 'title\x1b]0;pwned\x07 clear\x1b[2J\x1b[H red\x1b[31m bell\x07 back\b\r cr c1\x9b2J esc\x1b done\n\tnext';

describe('terminalSafe', () => {
  it('removes CSI and OSC sequences and C0/C1 controls, keeping newline and tab', () => {
    assert.equal(terminalSafe(HOSTILE), 'title clear red bell back cr c1 esc done\n\tnext');
    assert.ok(![...terminalSafe(HOSTILE)].some((c) => c !== '\n' && c !== '\t' && (c < ' ' || (c >= '\x7f' && c <= '\x9f'))));
  });

  it('leaves ordinary text, unicode and emoji alone', () => {
    assert.equal(terminalSafe('Ada — “notes” 🚀\nline 2'), 'Ada — “notes” 🚀\nline 2');
  });
});

describe('CLI printing of run text', () => {
  it('prints model output without its escape sequences', () => {
    assert.equal(formatOutput(HOSTILE), terminalSafe(HOSTILE));
    assert.ok(!formatOutput({ text: HOSTILE }).includes('\x1b'));
  });

  it('prints a failed run’s error message without its escape sequences', () => {
    const line = summary({
      event: 'run.failed',
      id: '9',
      data: { run_id: 'r1', status: 'failed', duration_ms: 10, cost: 0, error: { code: 'agent_failed', message: HOSTILE, agent: 'a' } },
    } as unknown as Parameters<typeof summary>[0]);
    for (const control of [']0;pwned', '\x07', '\x9b', '\x1b[2J', '\x1b]']) assert.ok(!line.includes(control), JSON.stringify(control));
  });
});
