import type { Client } from '@temporalio/client';
import { isOpen } from '../records/schemas.js';
import { RunEndedError } from './errors.js';
import { readOwnedRun, type RunSnapshot } from './read.js';

/**
 * Asks a caller's running run to cancel (its running agent's in-flight call is aborted; the run ends
 * `cancelled`) and returns the run as it was when asked. Refuses a run that already ended.
 */
export async function cancelRun(client: Client, runId: string, callerId: string): Promise<RunSnapshot> {
  const snapshot = await readOwnedRun(client, runId, callerId);
  if (!isOpen(snapshot.state.status)) throw new RunEndedError(runId, snapshot.state.status);
  await client.workflow.getHandle(runId).cancel();
  return snapshot;
}
