import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';
import { Client, Connection, WorkflowIdReusePolicy } from '@temporalio/client';
import proto from '@temporalio/proto';
import { describeWorkflow, rememberExecution } from '../../src/runs/describe.js';
import { CHAIN_WORKFLOW } from '../../src/workflows/definitions.js';
import { Started } from '../helpers/started.js';
import { startTestTemporal, type TestTemporal } from '../helpers/temporal.js';

/** A task queue no worker polls: workflows started on it stay running. */
const NOBODY = 'describe-nobody';
const DescribeRequest = proto.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;

describe('describing a run names the execution it last saw open, so the server need not look up the current one', () => {
  const started = new Started();
  let temporal: TestTemporal;
  let client: Client;
  /** The run id each describe sent, '' when it named the workflow id alone. */
  const describedRunIds: string[] = [];
  /** Sees each describe's request on its way to the real server. */
  const recordDescribes: Interceptor = (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      sendMessage(message: Buffer, next) {
        if (options.method_definition.path.endsWith('/DescribeWorkflowExecution')) describedRunIds.push(DescribeRequest.decode(message).execution?.runId ?? '');
        next(message);
      },
    });

  before(() =>
    started.setup(async () => {
      temporal = started.add('temporal', await startTestTemporal(), (t) => t.stop());
      const connection = started.add('connection', await Connection.connect({ address: temporal.address, interceptors: [recordDescribes] }), (c) => c.close());
      client = new Client({ connection });
    }),
  );
  after(() => started.stopAll());

  function startIdle(workflowId: string) {
    return client.workflow.start(CHAIN_WORKFLOW, { workflowId, taskQueue: NOBODY, args: [], workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE });
  }

  it('describes a run it started by its execution, from the first read on', async () => {
    const handle = await startIdle(`describe-started-${Date.now()}`);
    rememberExecution(client, handle.workflowId, handle.firstExecutionRunId);
    describedRunIds.length = 0;
    assert.equal((await describeWorkflow(client, handle.workflowId))?.status.name, 'RUNNING');
    assert.equal((await describeWorkflow(client, handle.workflowId))?.runId, handle.firstExecutionRunId);
    assert.deepEqual(describedRunIds, [handle.firstExecutionRunId, handle.firstExecutionRunId]);
    await handle.terminate();
  });

  it('looks a run up by workflow id once, then describes it by its execution while it is open', async () => {
    const handle = await startIdle(`describe-found-${Date.now()}`);
    describedRunIds.length = 0;
    await describeWorkflow(client, handle.workflowId);
    await describeWorkflow(client, handle.workflowId);
    assert.deepEqual(describedRunIds, ['', handle.firstExecutionRunId]);
    await handle.terminate();
  });

  it('once the execution it saw has closed, finds the workflow id’s current execution again', async () => {
    // A reset, a continue-as-new or (where the id may be reused) a new start can make another execution current.
    const workflowId = `describe-reused-${Date.now()}`;
    const first = await startIdle(workflowId);
    await describeWorkflow(client, workflowId);
    await first.terminate();
    const second = await startIdle(workflowId);
    describedRunIds.length = 0;
    const description = await describeWorkflow(client, workflowId);
    assert.equal(description?.runId, second.firstExecutionRunId);
    assert.equal(description?.status.name, 'RUNNING');
    assert.deepEqual(describedRunIds, [first.firstExecutionRunId, '']);
    await second.terminate();
  });

  it('answers undefined for a workflow that does not exist', async () => {
    assert.equal(await describeWorkflow(client, `describe-missing-${Date.now()}`), undefined);
  });
});
