import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';

/** Open executions remembered per client, at most; beyond it the oldest go and are looked up again. */
const MAX_KNOWN = 10_000;

/**
 * The Temporal run id of each workflow this client saw open, by workflow id. A describe by workflow id
 * alone makes the server look up the workflow's current run in its database first (`GetCurrentExecution`,
 * ~5 ms on a loaded dev server, where every database call waits its turn on one SQLite connection); a
 * poll loop describes each open run several times. Per client, so test servers never share it.
 */
const openExecutions = new WeakMap<Client, Map<string, string>>();

/** Records that `workflowId` runs as Temporal run `runId`, e.g. just after starting it. */
export function rememberExecution(client: Client, workflowId: string, runId: string): void {
  let known = openExecutions.get(client);
  if (!known) openExecutions.set(client, (known = new Map()));
  known.delete(workflowId);
  known.set(workflowId, runId);
  if (known.size > MAX_KNOWN) known.delete(known.keys().next().value!);
}

/**
 * One workflow's description (status, memo, pending activities); undefined when it does not exist.
 * While the workflow is open its remembered run is described directly. Once that run has closed, the
 * workflow id is looked up afresh: a reset, a continue-as-new or (for ids that allow it) a new start
 * may have made another run current.
 */
export async function describeWorkflow(client: Client, workflowId: string): Promise<WorkflowExecutionDescription | undefined> {
  const known = openExecutions.get(client);
  const runId = known?.get(workflowId);
  if (runId) {
    const description = await describe(client, workflowId, runId);
    if (description?.status.name === 'RUNNING') return description;
    known!.delete(workflowId);
  }
  const description = await describe(client, workflowId);
  if (description?.status.name === 'RUNNING') rememberExecution(client, workflowId, description.runId);
  return description;
}

async function describe(client: Client, workflowId: string, runId?: string): Promise<WorkflowExecutionDescription | undefined> {
  try {
    return await client.workflow.getHandle(workflowId, runId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}
