import type { TypedSearchAttributes } from '@temporalio/common';
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes.js';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { decodeMemo, timestampMs } from '../temporal/payloads.js';
import { decodeCursor, encodeCursor } from './cursor.js';

const { WorkflowExecutionStatus } = proto.temporal.api.enums.v1;

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** One workflow execution as visibility lists it: what the listings read, the memo decoded but not parsed yet. */
export interface VisibleExecution {
  workflowId: string;
  runId: string;
  running: boolean;
  startTime: Date;
  closeTime: Date | undefined;
  memo: Record<string, unknown>;
  searchAttributes: TypedSearchAttributes;
}

/**
 * One page of the workflows matching `query` from Temporal visibility (newest first: SQL visibility,
 * the dev server's, refuses ORDER BY and defaults to that), each decoded and mapped by `toItem`
 * (undefined drops it). `scope` names the listing, so its cursors never carry over to another.
 */
export async function visibilityPage<T>(
  client: Client,
  namespace: string,
  page: { query: string; scope: string; limit: number; cursor?: string; cursorKey: Buffer },
  toItem: (execution: VisibleExecution) => T | undefined,
): Promise<Page<T>> {
  const response = await client.workflowService.listWorkflowExecutions({
    namespace,
    query: page.query,
    pageSize: page.limit,
    nextPageToken: decodeCursor(page.cursorKey, page.scope, page.cursor),
  });
  const executions = await Promise.all(
    response.executions.map(async (raw): Promise<VisibleExecution> => ({
      workflowId: raw.execution?.workflowId ?? '',
      runId: raw.execution?.runId ?? '',
      running: raw.status === WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
      startTime: new Date(timestampMs(raw.startTime)),
      closeTime: raw.closeTime ? new Date(timestampMs(raw.closeTime)) : undefined,
      memo: await decodeMemo(client.options.loadedDataConverter, raw.memo?.fields),
      searchAttributes: decodeTypedSearchAttributes(raw.searchAttributes?.indexedFields),
    })),
  );
  const data = executions.map(toItem).filter((item): item is T => item !== undefined);
  return { data, next_cursor: encodeCursor(page.cursorKey, page.scope, response.nextPageToken) };
}
