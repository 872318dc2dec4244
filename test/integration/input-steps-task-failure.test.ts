import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import proto from '@temporalio/proto';
import { expectProblem, json, pollRun, startAsync, type Run } from '../helpers/api-suite.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { Started } from '../helpers/started.js';
import { startTestTemporal, type TestTemporal } from '../helpers/temporal.js';

const { CommandType } = proto.temporal.api.enums.v1;

/**
 * An answer travels to the run as a Temporal update inside a workflow task. When that task fails on
 * the server (here: a worker completes it with a command Temporal refuses), the update is aborted with
 * 9 FAILED_PRECONDITION WorkflowNotReady and the run has not taken the answer. The caller must be told
 * to send it again (503 unavailable, Retry-After), not given a 500, and the run must take it later.
 */
void describe('POST /api/v1/runs/{run_id}/input when the workflow task carrying the answer fails', () => {
  const started = new Started();
  let engine: TestEngine;
  let api: TestApi;

  before(() =>
    started.setup(async () => {
      const temporal = started.add('temporal', await startTestTemporal(), (t: TestTemporal) => t.stop());
      engine = started.add('engine', await startEngine(temporal.address), (e: TestEngine) => e.stop());
      api = started.add('api', await startTestApi(engine), (a) => a.close(1_000));
    }),
  );
  after(() => started.stopAll());

  /**
   * Plays a broken worker on the chain's task queue: polls workflow tasks until one carries an update,
   * and fails it by completing it with an activity command that lacks its id and type. Tasks without
   * one (the answer may reach the server after the first poll) are completed with no command.
   */
  async function failTheTaskCarryingAnUpdate(): Promise<void> {
    const { namespace, taskQueue } = engine.config.temporal;
    const service = engine.connection.workflowService;
    for (let polls = 0; polls < 20; polls++) {
      const task = await service.pollWorkflowTaskQueue({ namespace, taskQueue: { name: taskQueue }, identity: 'broken-worker' });
      if (!task.taskToken?.length) continue;
      const carriesUpdate = (task.messages ?? []).length > 0;
      const commands = carriesUpdate ? [{ commandType: CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK, scheduleActivityTaskCommandAttributes: {} }] : [];
      await service.respondWorkflowTaskCompleted({ namespace, taskToken: task.taskToken, identity: 'broken-worker', commands }).catch(() => undefined);
      if (carriesUpdate) return;
    }
    throw new Error('no workflow task carried the answer');
  }

  void it('answers 503 unavailable with Retry-After, and the run takes the answer sent again once a worker is back', async () => {
    const { run_id: runId } = await startAsync(api, 'approval', { input: { topic: 'failed task' } });
    const body = { step: 'approval', value: { approved: true, note: 'second try' } };

    const answering = api.request(`/api/v1/runs/${runId}/input`, { body });
    await failTheTaskCarryingAnUpdate();
    const refused = await answering;
    assert.equal(refused.headers.get('retry-after'), '5');
    const problem = await expectProblem(refused, 503, 'unavailable');
    assert.match(problem.detail, /could not take this answer.*nothing was recorded/);

    await engine.startWorker();
    await pollRun(api, runId, (run) => run.status === 'waiting_for_input');
    const taken = await json<Run>(await api.request(`/api/v1/runs/${runId}/input`, { body }), 200);
    assert.equal(taken.agents[1]?.answered_by, 'caller');
    const done = await pollRun(api, runId, (run) => run.status === 'completed');
    assert.equal(done.output, 'Published: second try');
  });
});
