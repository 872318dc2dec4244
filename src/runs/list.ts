import type { Client } from '@temporalio/client';
import { CHAIN_WORKFLOW, CallerIdKey, ChainNameKey, ChainVersionKey, RESULT_MEMO_KEY, RerunOfKey, RunStatusKey } from '../workflows/definitions.js';
import { parseRecord } from '../temporal/payloads.js';
import { runStateSchema } from '../records/schemas.js';
import type { RerunFilter, RerunOf, RunStatus } from '../workflows/types.js';
import { runMemoSchema } from './start.js';
import { EXECUTION_STATUS, START_TIME, WORKFLOW_TYPE, and, compare, equals, type Clause } from './visibility-query.js';
import { visibilityPage, type Page } from './visibility.js';

export interface ListFilter {
  chain?: string;
  status?: RunStatus;
  /** Only the reruns of this run. */
  rerun_of?: string;
  limit: number;
  cursor?: string;
  /** Signs and checks the page cursors (see cursor.ts). */
  cursorKey: Buffer;
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
  rerun_of?: RerunOf;
}

/** What a listing reads of a run's memo: its chain, and its final state once it ended. */
const listedRunMemo = runMemoSchema.pick({ chain: true, chain_version: true, rerun_of: true }).extend({
  [RESULT_MEMO_KEY]: runStateSchema.pick({ status: true, cost: true, duration_ms: true }).optional(),
});

/** Names the listing a cursor belongs to: runs, for one caller and one filter. */
function cursorScope(callerId: string, filter: ListFilter): string {
  return `runs\u0000${callerId}\u0000${filter.chain ?? ''}\u0000${filter.status ?? ''}${filter.rerun_of ? `\u0000${filter.rerun_of}` : ''}`;
}

/**
 * One page of a caller's runs, newest first, from Temporal visibility (search attributes), so it
 * works across API instances and restarts. The cursor is Temporal's page token, opaque to callers.
 */
export async function listRuns(client: Client, namespace: string, callerId: string, filter: ListFilter): Promise<Page<RunSummary>> {
  // Webhook deliveries carry CallerId too; runs are the chain workflows.
  const clauses: [Clause, ...Clause[]] = [equals(WORKFLOW_TYPE, CHAIN_WORKFLOW), equals(CallerIdKey, callerId)];
  if (filter.chain) {
    const [name, version] = filter.chain.split('@');
    clauses.push(equals(ChainNameKey, name!));
    if (version) clauses.push(equals(ChainVersionKey, Number(version)));
  }
  // `running` lists every open run, those waiting for input too (RunStatus is unset while a run runs).
  if (filter.status === 'running') clauses.push(equals(EXECUTION_STATUS, 'Running'));
  else if (filter.status) clauses.push(equals(RunStatusKey, filter.status));
  if (filter.rerun_of) clauses.push(equals(RerunOfKey, filter.rerun_of));
  const now = Date.now();
  const page = { query: and(...clauses), scope: cursorScope(callerId, filter), limit: filter.limit, cursor: filter.cursor, cursorKey: filter.cursorKey };
  return visibilityPage(client, namespace, page, (info): RunSummary => {
    const memo = parseRecord(listedRunMemo, info.memo, `The memo of run ${info.workflowId}`);
    const result = memo[RESULT_MEMO_KEY];
    const started = info.startTime.getTime();
    return {
      run_id: info.workflowId,
      chain: memo.chain,
      chain_version: memo.chain_version,
      status: result?.status ?? (info.running ? openStatus(info.searchAttributes.get(RunStatusKey)) : 'failed'),
      cost: result?.cost ?? 0,
      duration_ms: result?.duration_ms ?? (info.closeTime ? info.closeTime.getTime() - started : now - started),
      created_at: info.startTime.toISOString(),
      ...(info.closeTime && { completed_at: info.closeTime.toISOString() }),
      ...(memo.rerun_of && { rerun_of: memo.rerun_of }),
    };
  });
}

/**
 * The ids of a caller's runs of one chain version that ended with `filter.status`, started within the
 * filter's times, newest first and at most `filter.limit`: what a rerun batch re-runs.
 */
export async function listEndedRuns(client: Client, callerId: string, filter: RerunFilter): Promise<string[]> {
  const [name, version] = filter.chain.split('@');
  const clauses: [Clause, ...Clause[]] = [
    equals(WORKFLOW_TYPE, CHAIN_WORKFLOW),
    equals(CallerIdKey, callerId),
    equals(ChainNameKey, name!),
    equals(ChainVersionKey, Number(version)),
    equals(RunStatusKey, filter.status),
  ];
  if (filter.created_after) clauses.push(compare(START_TIME, '>=', filter.created_after));
  if (filter.created_before) clauses.push(compare(START_TIME, '<', filter.created_before));
  const ids: string[] = [];
  for await (const run of client.workflow.list({ query: and(...clauses) })) {
    if (ids.length >= filter.limit) break;
    ids.push(run.workflowId);
  }
  return ids;
}

/** An open run's status from its RunStatus search attribute: waiting_for_input while it waits at an input step. */
function openStatus(runStatus: string | undefined): RunSummary['status'] {
  return runStatus === 'waiting_for_input' ? 'waiting_for_input' : 'running';
}

/** How many runs wait at an input step now, in the whole namespace. */
export async function countWaitingRuns(client: Client): Promise<number> {
  const query = and(equals(WORKFLOW_TYPE, CHAIN_WORKFLOW), equals(EXECUTION_STATUS, 'Running'), equals(RunStatusKey, 'waiting_for_input'));
  return (await client.workflow.count(query)).count;
}
