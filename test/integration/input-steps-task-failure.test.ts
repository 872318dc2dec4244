import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import proto from '@temporalio/proto';
import { expectProblem, getRun, json, pollRun, startAsync, type Run } from '../helpers/api-suite.js';
import { eventually } from '../helpers/runs.js';
import { useStack } from '../helpers/stack.js';

const { CommandType } = proto.temporal.api.enums.v1;

/**
 * An answer travels to the run as a Temporal update inside a workflow task. When that task fails on
 * the server (here: a worker completes it with a command Temporal refuses), the update is aborted with
 * 9 FAILED_PRECONDITION WorkflowNotReady and the run has not taken the answer. The caller must be told
 * to send it again (503 unavailable, Retry-After), not given a 500, and the run must take it later.
 */
void describe('POST /api/v1/runs/{run_id}/input when the workflow task carrying the answer fails', () => {
  const stack = useStack();

  /**
   * Plays a broken worker on the chain's task queue: takes the next workflow task, which must carry the
   * answer's update, and fails it by completing it with an activity command that lacks its id and type.
   */
  async function failTheNextWorkflowTask(): Promise<void> {
    const { namespace, taskQueue } = stack.engine.config.temporal;
    const service = stack.engine.connection.workflowService;
    let task;
    do task = await service.pollWorkflowTaskQueue({ namespace, taskQueue: { name: taskQueue }, identity: 'broken-worker' });
    while (!task.taskToken?.length);
    assert.equal(task.messages?.length, 1, 'the task carries the answer');
    const badCommand = { commandType: CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK, scheduleActivityTaskCommandAttributes: {} };
    await assert.rejects(service.respondWorkflowTaskCompleted({ namespace, taskToken: task.taskToken, identity: 'broken-worker', commands: [badCommand] }), 'Temporal refuses the command');
  }

  void it('answers 503 unavailable with Retry-After, and the run takes the answer sent again once a worker is back', async () => {
    const { api, engine, worker } = stack;
    const { run_id: runId } = await startAsync(api, 'approval', { input: { topic: 'failed task' } });
    await pollRun(api, runId, (run) => run.status === 'waiting_for_input');
    // With no worker of ours polling, the answer's workflow task goes to the broken one.
    worker.shutdown();
    await eventually(async () => (worker.getState() === 'STOPPED' ? true : undefined), 20_000, 'the worker to stop');

    const body = { step: 'approval', value: { approved: true, note: 'second try' } };
    const answering = api.request(`/api/v1/runs/${runId}/input`, { body });
    await failTheNextWorkflowTask();
    const refused = await answering;
    assert.equal(refused.headers.get('retry-after'), '5');
    const problem = await expectProblem(refused, 503, 'unavailable');
    assert.match(problem.detail, /could not take this answer.*nothing was recorded/);

    await engine.startWorker();
    assert.equal((await getRun(api, runId)).status, 'waiting_for_input', 'the run still waits');
    const taken = await json<Run>(await api.request(`/api/v1/runs/${runId}/input`, { body }), 200);
    assert.equal(taken.agents[1]?.answered_by, 'caller');
    const done = await pollRun(api, runId, (run) => run.status === 'completed');
    assert.equal(done.output, 'Published: second try');
  });
});
