import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers.js';
import { decodeCursor, encodeCursor } from './cursor.js';

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
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
  toItem: (info: WorkflowExecutionInfo) => T | undefined,
): Promise<Page<T>> {
  const response = await client.workflowService.listWorkflowExecutions({
    namespace,
    query: page.query,
    pageSize: page.limit,
    nextPageToken: decodeCursor(page.cursorKey, page.scope, page.cursor),
  });
  const infos = await Promise.all(response.executions.map((raw) => executionInfoFromRaw(raw, client.options.loadedDataConverter, raw, namespace)));
  const data = infos.map(toItem).filter((item): item is T => item !== undefined);
  return { data, next_cursor: encodeCursor(page.cursorKey, page.scope, response.nextPageToken) };
}
