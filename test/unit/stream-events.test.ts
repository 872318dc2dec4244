import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatSse } from '../../src/api/sse.js';
import type { RunEvent } from '../../src/runs/stream/events.js';
import { comparePositions, formatId, parseId } from '../../src/runs/stream/ids.js';
import { resumeAfter } from '../../src/runs/stream/resume.js';
import { RunTimeline, type PendingFact } from '../../src/runs/stream/timeline.js';

void describe('formatSse', () => {
  void it('writes id, event and one data line per line of data, then a blank line', () => {
    assert.equal(formatSse({ id: '7', event: 'run.started', data: '{"a":1}' }), 'id: 7\nevent: run.started\ndata: {"a":1}\n\n');
    assert.equal(formatSse({ id: '7', event: 'x', data: 'one\ntwo\r\nthree' }), 'id: 7\nevent: x\ndata: one\ndata: two\ndata: three\n\n');
  });

  void it('refuses a line break in the id or event name, and an empty id', () => {
    assert.throws(() => formatSse({ id: '1\n2', event: 'x', data: '' }), TypeError);
    assert.throws(() => formatSse({ id: '1', event: 'x\ry', data: '' }), TypeError);
    assert.throws(() => formatSse({ id: '', event: 'x', data: '' }), TypeError);
  });
});

void describe('event ids', () => {
  void it('round-trip, and refuse what this service never sends', () => {
    for (const position of [
      { event: 1, attempt: 0, offset: 0 },
      { event: 12, attempt: 2, offset: 0 },
      { event: 12, attempt: 1, offset: 340 },
      { event: 12, attempt: 1, restart: 2, offset: 0 },
      { event: 12, attempt: 1, restart: 1, offset: 17 },
    ]) {
      assert.deepEqual(parseId(formatId(position)), position);
    }
    assert.equal(formatId({ event: 12, attempt: 1, restart: 1, offset: 17 }), '12.1.1.17');
    for (const bad of ['', 'x', '1.2', '1.2.0.4', '1.2.3.4.5', '-1', '1e3']) assert.equal(parseId(bad), undefined, bad);
  });

  void it('order lifecycle events, retries, fallback restarts and output of one agent as they happen', () => {
    const ordered = ['6', '6.1.4', '6.1.30', '6.1.1.0', '6.1.1.2', '6.1.2.0', '6.2.0', '6.2.3', '8', '12'].map((id) => parseId(id)!);
    for (let i = 1; i < ordered.length; i++) assert.ok(comparePositions(ordered[i - 1]!, ordered[i]!) < 0);
  });
});

void describe('resumeAfter', () => {
  const chunk: RunEvent = { position: { event: 6, attempt: 1, offset: 20 }, event: 'agent.output', data: { agent: 'a', index: 0, chunk: 'abcdefghij', offset: 10 } };

  void it('drops what the client has and trims a chunk that straddles the resume point', () => {
    assert.equal(resumeAfter(chunk, { event: 6, attempt: 1, offset: 20 }), undefined);
    assert.equal(resumeAfter(chunk, { event: 8, attempt: 0, offset: 0 }), undefined);
    assert.deepEqual(resumeAfter(chunk, { event: 6, attempt: 1, offset: 14 })?.data, { agent: 'a', index: 0, chunk: 'efghij', offset: 14 });
    assert.equal(resumeAfter(chunk, { event: 6, attempt: 1, offset: 4 }), chunk);
    assert.equal(resumeAfter(chunk, undefined), chunk);
  });
});

void describe('RunTimeline', () => {
  function started(): RunTimeline {
    const timeline = new RunTimeline();
    timeline.applyHistory({ type: 'run-started', eventId: 1, time: 0, runId: 'run-1', chain: 'c', chainVersion: 1, agentsTotal: 1 });
    timeline.applyHistory({ type: 'agent-scheduled', eventId: 6, time: 10, activityId: '1', index: 0, agent: 'a' });
    return timeline;
  }
  const beat = (attempt: number, text: string, heartbeatAttempt = attempt, lastFailure?: string): PendingFact[] => [
    { activityId: '1', attempt, lastFailure, heartbeat: { text, attempt: heartbeatAttempt } },
  ];
  const brief = (events: RunEvent[]) => events.map((e) => `${formatId(e.position)} ${e.event} ${JSON.stringify(e.data)}`);

  void it('sends only the new part of each heartbeat, then the rest of the final text before agent.completed', () => {
    const timeline = started();
    assert.deepEqual(brief(timeline.applyPending(beat(1, 'one '))), ['6.1.4 agent.output {"agent":"a","index":0,"chunk":"one ","offset":0}']);
    assert.deepEqual(timeline.applyPending(beat(1, 'one ')), [], 'an unchanged heartbeat sends nothing');
    timeline.applyHistory({ type: 'agent-attempt', scheduledEventId: 6, attempt: 1, lastFailure: undefined });
    assert.deepEqual(brief(timeline.applyHistory({ type: 'agent-completed', eventId: 8, time: 50, scheduledEventId: 6, text: 'one two', cost: 0.5, attempt: 1 })), [
      '6.1.7 agent.output {"agent":"a","index":0,"chunk":"two","offset":4}',
      '8 agent.completed {"agent":"a","index":0,"duration_ms":40,"cost":0.5,"attempts":1}',
    ]);
    assert.deepEqual(timeline.applyPending(beat(1, 'one two three')), [], 'heartbeats read before the agent completed are ignored after it');
  });

  void it('announces a new attempt, ignores the old attempt\'s heartbeat details, and restarts output at offset 0', () => {
    const timeline = started();
    timeline.applyPending(beat(1, 'lost words '));
    assert.deepEqual(brief(timeline.applyPending(beat(2, 'lost words ', 1, 'activity Heartbeat timeout'))), [
      '6.2.0 agent.retrying {"agent":"a","index":0,"attempt":2,"error":"activity Heartbeat timeout"}',
    ]);
    assert.deepEqual(brief(timeline.applyPending(beat(2, 'kept'))), ['6.2.4 agent.output {"agent":"a","index":0,"chunk":"kept","offset":0}']);
  });

  void it('announces attempts it never saw running when the history shows them, naming only the last cause', () => {
    const timeline = started();
    const events = timeline.applyHistory({ type: 'agent-attempt', scheduledEventId: 6, attempt: 3, lastFailure: 'boom 2' });
    assert.deepEqual(
      events.map((e) => [formatId(e.position), e.data]),
      [
        ['6.2.0', { agent: 'a', index: 0, attempt: 2, error: 'Attempt 1 failed; its error was not recorded.' }],
        ['6.3.0', { agent: 'a', index: 0, attempt: 3, error: 'boom 2' }],
      ],
    );
  });

  void it('sends pushed output from where the sent output ends, taking only the new part of an overlap', () => {
    const timeline = started();
    const push = (offset: number, text: string, attempt = 1) => timeline.applyPushed({ activityId: '1', attempt, offset, text });
    assert.deepEqual(brief(push(0, 'one ').events), ['6.1.4 agent.output {"agent":"a","index":0,"chunk":"one ","offset":0}']);
    assert.deepEqual(brief(timeline.applyPending(beat(1, 'one two '))), ['6.1.8 agent.output {"agent":"a","index":0,"chunk":"two ","offset":4}']);
    assert.deepEqual(push(4, 'two '), { verdict: 'used', events: [] }, 'a chunk the heartbeat already carried is dropped');
    assert.deepEqual(brief(push(6, 'o three ').events), ['6.1.14 agent.output {"agent":"a","index":0,"chunk":"three ","offset":8}']);
    assert.deepEqual(push(20, 'later'), { verdict: 'wait', events: [] }, 'a chunk past a gap waits for a heartbeat to fill it');
    assert.deepEqual(brief(timeline.applyPending(beat(1, 'one two three four '))), ['6.1.19 agent.output {"agent":"a","index":0,"chunk":"four ","offset":14}']);
  });

  void it('announces a fallback restart once, names the model taking over, and restarts output at offset 0 under the restart', () => {
    const timeline = started();
    timeline.applyPending(beat(1, 'half an '));
    const restarted: PendingFact[] = [{ activityId: '1', attempt: 1, lastFailure: undefined, heartbeat: { text: 'new', attempt: 1, restart: 1, model: 'anthropic:claude', restartError: 'cut' } }];
    assert.deepEqual(brief(timeline.applyPending(restarted)), [
      '6.1.1.0 agent.retrying {"agent":"a","index":0,"attempt":1,"error":"cut","reason":"fallback","model":"anthropic:claude"}',
      '6.1.1.3 agent.output {"agent":"a","index":0,"chunk":"new","offset":0}',
    ]);
    assert.deepEqual(timeline.applyPending(restarted), [], 'a restart is announced once');
    assert.deepEqual(timeline.applyPushed({ activityId: '1', attempt: 1, offset: 8, text: 'old model' }), { verdict: 'used', events: [] }, 'the replaced model’s chunk is dropped');
    assert.deepEqual(timeline.applyPushed({ activityId: '1', attempt: 1, restart: 2, offset: 0, text: 'x' }), { verdict: 'ahead', events: [] }, 'a push never announces a restart');
    assert.deepEqual(brief(timeline.applyPushed({ activityId: '1', attempt: 1, restart: 1, offset: 3, text: ' text' }).events), [
      '6.1.1.8 agent.output {"agent":"a","index":0,"chunk":" text","offset":3}',
    ]);
    assert.deepEqual(brief(timeline.applyHistory({ type: 'agent-completed', eventId: 8, time: 50, scheduledEventId: 6, text: 'new text!', cost: 0.5, attempt: 1, restart: 1, model: 'anthropic:claude', fallback_used: true, tokens: { input: 3, output: 2 } })), [
      '6.1.1.9 agent.output {"agent":"a","index":0,"chunk":"!","offset":8}',
      '8 agent.completed {"agent":"a","index":0,"duration_ms":40,"cost":0.5,"attempts":1,"model":"anthropic:claude","fallback_used":true,"tokens":{"input":3,"output":2}}',
    ]);
  });

  void it('never announces an attempt from a push, and keeps pushes for agents the history has not shown yet', () => {
    const timeline = started();
    assert.deepEqual(timeline.applyPushed({ activityId: '1', attempt: 2, offset: 0, text: 'x' }), { verdict: 'ahead', events: [] });
    assert.deepEqual(timeline.applyPushed({ activityId: '2', attempt: 1, offset: 0, text: 'x' }), { verdict: 'wait', events: [] });
    timeline.applyPending(beat(2, '', 1, 'boom'));
    assert.deepEqual(timeline.applyPushed({ activityId: '1', attempt: 1, offset: 0, text: 'old' }), { verdict: 'used', events: [] }, 'a lost attempt\'s chunk is dropped');
    assert.deepEqual(brief(timeline.applyPushed({ activityId: '1', attempt: 2, offset: 0, text: 'x' }).events), ['6.2.1 agent.output {"agent":"a","index":0,"chunk":"x","offset":0}']);
  });

  void it('ends with the final state, or one derived from the close event when the run left none', () => {
    const settled = started();
    const [end] = settled.applyHistory({ type: 'run-settled', eventId: 20, time: 90, state: { status: 'failed', cost: 0.1, duration_ms: 80, error: { code: 'agent_failed', message: 'no', agent: 'a' } } });
    assert.deepEqual([end?.event, end?.data], ['run.failed', { run_id: 'run-1', cost: 0.1, duration_ms: 80, error: { code: 'agent_failed', message: 'no', agent: 'a' } }]);
    assert.ok(settled.ended);
    assert.deepEqual(settled.applyHistory({ type: 'run-closed', eventId: 22, time: 95, status: 'failed', reason: 'x' }), [], 'nothing after the end');

    const terminated = started();
    const [closed] = terminated.applyHistory({ type: 'run-closed', eventId: 9, time: 60, status: 'cancelled', reason: 'The run was terminated in Temporal: ops' });
    assert.deepEqual([closed?.event, closed?.data], ['run.cancelled', { run_id: 'run-1', cost: 0, duration_ms: 60, error: { code: 'cancelled', message: 'The run was terminated in Temporal: ops' } }]);
  });
});
