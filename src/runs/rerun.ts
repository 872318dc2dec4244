import type { Client } from '@temporalio/client';
import type { Caller } from '../api/callers.js';
import { isOpen } from '../records/schemas.js';
import type { AgentState, RerunPlan, RunState } from '../workflows/types.js';
import { RunRequestError } from './errors.js';
import { launchRun, resolveChain, type LaunchDeps, type LaunchRequest, type Launched } from './launch.js';
import { readRecordedRun, type RecordedRun } from './recorded-outputs.js';
import { readOwnedRun } from './read.js';

export interface RerunRequest extends Omit<LaunchRequest, 'input' | 'rerun'> {
  /** The first agent to run again, by name… */
  from?: string;
  /** …or by 0-based position. */
  from_index?: number;
  /** Replaces the original run's input for the agents that run again. */
  input?: Record<string, unknown>;
  /** `name@version` to run; the original run's version by default. */
  chain?: string;
}

/** Agent statuses whose output a rerun can take over: the agent finished in that run. */
const FINISHED: ReadonlySet<AgentState['status']> = new Set(['completed', 'reused']);

/**
 * Starts a new run of an ended run's chain from one agent on: the agents before it are not run, their
 * outputs (from the original's history) and entries are reused; the original run is only read. The
 * new run starts like any other (limits, Idempotency-Key, webhook), with `rerun_of` naming the original.
 */
export async function rerunRun(deps: LaunchDeps, caller: Caller, runId: string, request: RerunRequest, opts: { orphanable?: boolean } = {}): Promise<Launched> {
  const planned = await planRerun(deps.client, caller.id, runId, request, (original) => {
    const ref = request.chain ?? `${original.chain}@${original.chain_version}`;
    return { ref, agents: resolveChain(deps.catalog, caller, ref).plan.agents };
  });
  return launchRun(deps, caller, planned.ref, { input: request.input ?? planned.input, max_cost: request.max_cost, webhook: request.webhook, idempotencyKey: request.idempotencyKey, rerun: planned.rerun }, opts);
}

/** The chain version a rerun runs: its ref (for messages) and its agents (to check against the original's). */
export interface RerunTarget {
  ref: string;
  agents: ReadonlyArray<{ name: string; kind: string }>;
}

/** What a rerun takes over from the run it re-runs: the original input and the reused agents. */
export interface PlannedRerun {
  /** The chain version to run, as the target named it. */
  ref: string;
  input: Record<string, unknown>;
  rerun: RerunPlan;
}

/**
 * Reads an ended run of the caller's and plans its rerun from `from` (or `from_index`) on `target`'s
 * chain version: refused as not_found, run_not_ended or validation_failed (an unknown agent, an agent
 * before `from` that did not finish, a version whose agents up to `from` differ).
 */
export async function planRerun(
  client: Client,
  callerId: string,
  runId: string,
  start: Pick<RerunRequest, 'from' | 'from_index'>,
  target: (original: RunState) => RerunTarget,
): Promise<PlannedRerun> {
  const { state } = await readOwnedRun(client, runId, callerId);
  if (isOpen(state.status)) throw new RunRequestError('run_not_ended', `Run ${runId} is still ${state.status}: re-run it once it has ended, or cancel it first.`, { run_id: runId });
  const recorded = await readRecordedRun(client, runId);
  const fromIndex = firstAgentToRun(recorded, start);
  const { ref, agents } = target(state);
  refuseIncompatible(recorded, agents, fromIndex, ref);
  const reused: RerunPlan['reused'] = [];
  for (let index = 0; index < fromIndex; index++) {
    const agent = state.agents[index];
    if (!agent || !FINISHED.has(agent.status) || !recorded.outputs.has(index)) {
      throw invalid('from', `Agent "${recorded.agents[index]!.name}" did not finish in run ${runId}, so there is no output to reuse: re-run from it or from an earlier agent.`);
    }
    reused.push({ output: recorded.outputs.get(index), state: agent });
  }
  return { ref, input: recorded.input as Record<string, unknown>, rerun: { of: { run_id: runId, from: recorded.agents[fromIndex]!.name }, reused } };
}

/** The index of the first agent to run again, from `from` (a name) or `from_index`. */
function firstAgentToRun(recorded: RecordedRun, request: Pick<RerunRequest, 'from' | 'from_index'>): number {
  const names = recorded.agents.map((agent) => agent.name);
  if (request.from !== undefined) {
    const index = names.indexOf(request.from);
    if (index < 0) throw invalid('from', `The run has no agent "${request.from}"; its agents are ${names.join(', ')}.`);
    return index;
  }
  const index = request.from_index ?? 0;
  if (index >= names.length) throw invalid('from_index', `The run has ${names.length} agents (0 to ${names.length - 1}).`);
  return index;
}

/** Another chain version may be used only when its agents up to the first to run again match the original's in name and kind. */
function refuseIncompatible(recorded: RecordedRun, agents: ReadonlyArray<{ name: string; kind: string }>, fromIndex: number, chainRef: string): void {
  for (let index = 0; index <= fromIndex; index++) {
    const was = recorded.agents[index]!;
    const is = agents[index];
    if (is?.name !== was.name || is.kind !== was.kind) {
      const now = is ? `"${is.name}" (${is.kind})` : 'missing';
      throw invalid('chain', `Agent ${index} of ${chainRef} is ${now} where the original run had "${was.name}" (${was.kind}): the agents up to the first one re-run must match.`);
    }
  }
}

function invalid(path: string, message: string): RunRequestError {
  return new RunRequestError('validation_failed', message, { errors: [{ path, message }] });
}
