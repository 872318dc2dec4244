import type { Client } from '@temporalio/client';
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers.js';
import { CallerIdKey, ChainNameKey, ChainVersionKey, RunStatusKey } from '../temporal/search-attributes.js';
import { RESULT_MEMO_KEY } from '../workflows/chain.js';
import type { RunState, RunStatus } from '../workflows/types.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import type { RunMemo } from './start.js';

export interface ListFilter {
  chain?: string;
  status?: RunStatus;
  limit: number;
  cursor?: string;
}

export interface RunSummary {
  run_id: string;
  chain: string;
  chain_version: number;
  status: RunStatus;
  cost: number;
  duration_ms: number;
  created_at: string;
  completed_at?: string;
}

/** Names the listing a cursor belongs to: runs, for one caller and one filter. */
function cursorScope(callerId: string, filter: ListFilter): string {
  return `runs\u0000${callerId}\u0000${filter.chain ?? ''}\u0000${filter.status ?? ''}`;
}

/**
 * One page of a caller's runs, newest first, from Temporal visibility (search attributes), so it
 * works across API instances and restarts. The cursor is Temporal's page token, opaque to callers.
 */
export async function listRuns(client: Client, namespace: string, callerId: string, filter: ListFilter): Promise<{ data: RunSummary[]; next_cursor: string | null }> {
  // Webhook deliveries carry CallerId too; runs are the chain workflows.
  const clauses = [`WorkflowType = 'chainWorkflow'`, `${CallerIdKey.name} = '${callerId}'`];
  if (filter.chain) {
    const [name, version] = filter.chain.split('@');
    clauses.push(`${ChainNameKey.name} = '${name}'`);
    if (version) clauses.push(`${ChainVersionKey.name} = ${Number(version)}`);
  }
  if (filter.status === 'running') clauses.push(`ExecutionStatus = 'Running'`);
  else if (filter.status) clauses.push(`${RunStatusKey.name} = '${filter.status}'`);
  const response = await client.workflowService.listWorkflowExecutions({
    namespace,
    // SQL visibility (the dev server's) refuses ORDER BY; its default order is newest first.
    query: clauses.join(' AND '),
    pageSize: filter.limit,
    nextPageToken: decodeCursor(cursorScope(callerId, filter), filter.cursor),
  });
  const now = Date.now();
  const data = await Promise.all(
    response.executions.map(async (raw) => {
      const info = await executionInfoFromRaw(raw, client.options.loadedDataConverter, raw, namespace);
      const memo = info.memo as (RunMemo & { [RESULT_MEMO_KEY]?: RunState }) | undefined;
      const result = memo?.[RESULT_MEMO_KEY];
      const started = info.startTime.getTime();
      return {
        run_id: info.workflowId,
        chain: memo?.chain ?? '',
        chain_version: memo?.chain_version ?? 0,
        status: result?.status ?? (info.status.name === 'RUNNING' ? 'running' : 'failed'),
        cost: result?.cost ?? 0,
        duration_ms: result?.duration_ms ?? (info.closeTime ? info.closeTime.getTime() - started : now - started),
        created_at: info.startTime.toISOString(),
        ...(info.closeTime && { completed_at: info.closeTime.toISOString() }),
      } satisfies RunSummary;
    }),
  );
  const token = response.nextPageToken;
  return { data, next_cursor: encodeCursor(cursorScope(callerId, filter), token) };
}
