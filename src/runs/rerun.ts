import type { Caller } from '../api/callers.js';
import { isOpen } from '../records/schemas.js';
import type { AgentState, RerunPlan } from '../workflows/types.js';
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
  const { state } = await readOwnedRun(deps.client, runId, caller.id);
  if (isOpen(state.status)) throw new RunRequestError('run_not_ended', `Run ${runId} is still ${state.status}: re-run it once it has ended, or cancel it first.`, { run_id: runId });
  const recorded = await readRecordedRun(deps.client, runId);
  const fromIndex = firstAgentToRun(recorded, request);
  const chainRef = request.chain ?? `${state.chain}@${state.chain_version}`;
  refuseIncompatible(recorded, resolveChain(deps.catalog, caller, chainRef).plan.agents, fromIndex, chainRef);
  const reused: RerunPlan['reused'] = [];
  for (let index = 0; index < fromIndex; index++) {
    const agent = state.agents[index];
    if (!agent || !FINISHED.has(agent.status) || !recorded.outputs.has(index)) {
      throw invalid('from', `Agent "${recorded.agents[index]!.name}" did not finish in run ${runId}, so there is no output to reuse: re-run from it or from an earlier agent.`);
    }
    reused.push({ output: recorded.outputs.get(index), state: agent });
  }
  const input = request.input ?? (recorded.input as Record<string, unknown>);
  const rerun = { of: { run_id: runId, from: recorded.agents[fromIndex]!.name }, reused };
  return launchRun(deps, caller, chainRef, { input, max_cost: request.max_cost, webhook: request.webhook, idempotencyKey: request.idempotencyKey, rerun }, opts);
}

/** The index of the first agent to run again, from `from` (a name) or `from_index`. */
function firstAgentToRun(recorded: RecordedRun, request: RerunRequest): number {
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
