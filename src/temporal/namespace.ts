import type { Connection } from '@temporalio/client';
import { durationFromMs } from './payloads.js';

/**
 * Sets how long closed runs (their outputs and delivery logs) are kept. The dev server defaults to
 * 24 h; the service promises CHAINPORT_RETENTION. External clusters set this themselves.
 */
export async function setRetention(connection: Connection, namespace: string, retentionMs: number): Promise<void> {
  await connection.workflowService.updateNamespace({
    namespace,
    config: { workflowExecutionRetentionTtl: durationFromMs(retentionMs) },
  });
}
