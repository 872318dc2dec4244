import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testConfig } from '../helpers/engine.js';
import { finalState, progress, start } from '../helpers/runs.js';
import { useTimeSkipping } from '../helpers/time-skipping.js';
import { touchSignal } from '../../src/workflows/definitions.js';
import type { RunState } from '../../src/workflows/types.js';

const MINUTE = 60_000;

/** The run's length in whole minutes of workflow time (skipped time counts; the few real milliseconds do not). */
function minutes(state: RunState): number {
  assert.ok(state.duration_ms !== null, 'an ended run has a duration');
  return Math.round(state.duration_ms / MINUTE);
}

// `stalled` (30-minute chain timeout) has one agent that fails at once and is retried a day later: the
// run waits on workflow timers alone, so the test server skips straight to whichever clock ends it.
describe("a run's clocks on Temporal's time-skipping test server: chain timeout, CHAINPORT_MAX_RUN_LIFETIME, orphan rule, retry backoff", () => {
  const suite = useTimeSkipping();
  /** The suite's engine with CHAINPORT_MAX_RUN_LIFETIME set, on the same task queue. */
  const withLifetime = (lifetime: string) => ({
    ...suite.engine,
    config: testConfig(suite.env.address, { CHAINPORT_MAX_RUN_LIFETIME: lifetime, TEMPORAL_TASK_QUEUE: suite.engine.config.temporal.taskQueue }),
  });

  it('ends a run at its chain timeout as timed_out, cancelling the agent it was waiting on', async () => {
    const handle = await start(suite.engine, 'stalled');
    const state = await finalState(suite.engine.client, handle.workflowId);
    assert.equal(state.status, 'timed_out');
    assert.equal(state.error?.code, 'chain_timeout');
    assert.equal(minutes(state), 30);
    assert.deepEqual(state.agents.map((a) => [a.status, a.attempts]), [['cancelled', 1]]);
  });

  it('bounds a run by CHAINPORT_MAX_RUN_LIFETIME when it is lower than the chain timeout', async () => {
    const handle = await start(withLifetime('10m'), 'stalled');
    const state = await finalState(suite.engine.client, handle.workflowId);
    assert.equal(state.status, 'timed_out');
    assert.equal(state.error?.code, 'chain_timeout');
    assert.equal(minutes(state), 10);
  });

  it('cancels a run nobody touched for the orphan timeout as orphaned', async () => {
    const handle = await start(suite.engine, 'stalled', {}, { orphanTimeoutMs: 15 * MINUTE });
    const state = await finalState(suite.engine.client, handle.workflowId);
    assert.equal(state.status, 'cancelled');
    assert.equal(state.error?.code, 'orphaned');
    assert.equal(minutes(state), 15);
    assert.deepEqual(state.agents.map((a) => a.status), ['cancelled']);
  });

  it('restarts the orphan clock at every touch, and orphans the run a full timeout after the last one', async () => {
    const handle = await start(suite.engine, 'stalled', {}, { orphanTimeoutMs: 10 * MINUTE });
    for (let touch = 0; touch < 2; touch++) {
      await suite.env.sleep(6 * MINUTE);
      await handle.signal(touchSignal);
    }
    assert.equal((await progress(suite.engine.client, handle.workflowId)).status, 'running', '12 minutes in, touched just now');
    const state = await finalState(suite.engine.client, handle.workflowId);
    assert.equal(state.error?.code, 'orphaned');
    assert.equal(minutes(state), 22, 'the last touch at 12 minutes, then 10 untouched');
  });

  it('does not count time waiting at an input step against the chain timeout, and never orphans a waiting run', async () => {
    const handle = await start(withLifetime('24h'), 'approval-clock', {}, { orphanTimeoutMs: 15 * MINUTE });
    const state = await finalState(suite.engine.client, handle.workflowId);
    assert.equal(state.status, 'completed', state.error?.message);
    assert.equal(state.output, 'ok=false');
    assert.equal(minutes(state), 120, 'two hours at the step, in a 30-minute chain with a 15-minute orphan rule');
    assert.equal(state.agents[1]?.answered_by, 'default');
  });

  it('still bounds a run waiting at an input step by CHAINPORT_MAX_RUN_LIFETIME', async () => {
    const handle = await start(withLifetime('1h'), 'approval-clock');
    const state = await finalState(suite.engine.client, handle.workflowId);
    assert.equal(state.status, 'timed_out');
    assert.equal(state.error?.code, 'chain_timeout');
    assert.match(state.error?.message ?? '', /maximum run lifetime of 3600000 ms/);
    assert.equal(minutes(state), 60);
    assert.deepEqual(state.agents.map((a) => a.status), ['completed', 'cancelled', 'skipped']);
  });

  it('retries a flaky agent after its backoff and reports the attempts it took', async () => {
    const handle = await start(suite.engine, 'flaky');
    const state = await finalState(suite.engine.client, handle.workflowId);
    assert.equal(state.status, 'completed');
    assert.equal(state.output, 'made it');
    assert.equal(state.agents[0]?.attempts, 3);
  });
});
