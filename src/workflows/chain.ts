import {
  ActivityCancellationType,
  ParentClosePolicy,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  proxySinks,
  setHandler,
  sleep,
  startChild,
  upsertMemo,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import {
  CallerIdKey,
  DELIVERY_MEMO_KEY,
  DeliveryStatusKey,
  RESULT_MEMO_KEY,
  RunStatusKey,
  WEBHOOK_DELIVERY_WORKFLOW,
  cancelSignal,
  progressQuery,
  touchSignal,
} from './definitions.js';
import { agentSummary } from './agent-summary.js';
import { runBudget } from './budget.js';
import { failureMessage, isAgentFailureDetails } from './failure-details.js';
import { InputSteps } from './input-step.js';
import { render, renderParts, type TemplateScope } from './template.js';
import type {
  AgentFailureDetails,
  AgentPlan,
  AgentResult,
  AgentState,
  ChainRunRequest,
  DeliveryRecord,
  InputRequest,
  RunError,
  RunErrorCode,
  RunSinks,
  RunState,
  WebhookEvent,
  WebhookEventFilter,
  WebhookPayload,
} from './types.js';
import type { webhookDeliveryWorkflow } from './webhook-delivery.js';

const { recordRunEnd } = proxyLocalActivities<Activities>({ startToCloseTimeout: '5s', retry: { maximumAttempts: 1 } });
const { runs } = proxySinks<RunSinks>();

/**
 * One chain run: the agents in order, each an activity with its own timeout and retry policy, the
 * whole bounded by the plan's timeout and budget. Completes with the final RunState; fails (or is
 * cancelled) with the same state stored in the memo.
 */
export async function chainWorkflow(request: ChainRunRequest): Promise<RunState> {
  const { plan } = request;
  const state = initialState(request);
  setHandler(progressQuery, () => state);
  // And for polls in the worker's own process, without a query (LocalRuns): published before every wait.
  runs.progressed(state);
  const scope: TemplateScope = { input: request.input, agents: {} };
  const budget = runBudget(plan.maxCost, request.maxCost);
  const inputs = new InputSteps(state);

  const agentsScope = new CancellationScope();
  const timerScope = new CancellationScope();
  let timedOut: TimeLimit | undefined;
  let cancelledBy: RunError | undefined;
  // The time limit wins over a cancel that came first: the run ends timed_out either way it was stopped.
  const stop = (reason: StopReason) => {
    if ('limitMs' in reason) timedOut ??= reason;
    else cancelledBy ??= reason;
    agentsScope.cancel();
  };
  setHandler(cancelSignal, ({ code = 'cancelled', reason }) => stop({ code, message: reason ?? 'The run was cancelled.' }));
  startClocks(timerScope, request, stop, () => inputs.paused);

  let failure: unknown;
  try {
    await agentsScope.run(async () => {
      for (const [index, agent] of plan.agents.entries()) {
        const reused = request.rerun?.reused[index];
        if (reused) {
          scope.agents[agent.name] = { output: reused.output };
          continue;
        }
        if (budget !== undefined && state.cost > budget) {
          throw new RunStopped({ code: 'budget_exceeded', message: `Run cost ${state.cost} passed the budget of ${budget} USD before agent "${agent.name}".` });
        }
        const output = agent.input
          ? await awaitInput(inputs, state, index, agent, scope, (inputRequest) => notify(request, state, 'run.input_required', { input_request: inputRequest }))
          : (await runAgent(state, index, agent, request.runId, scope, budget)).output;
        scope.agents[agent.name] = { output };
        await notify(request, state, 'agent.completed', { agent: agent.name, agent_output: output, ...agentModelPayload(state.agents[index]!) });
      }
    });
    state.output = plan.output === undefined ? scope.agents[plan.agents.at(-1)!.name]?.output : render(plan.output, scope);
    state.status = 'completed';
  } catch (err) {
    failure = err;
    settleAfterFailure(state, err, timedOut ?? cancelledBy);
  } finally {
    timerScope.cancel();
  }
  return end(request, state, failure);
}

/** A time limit the run reached: the chain's timeout (time spent waiting for input not counted) or the service's maximum lifetime. */
interface TimeLimit {
  limitMs: number;
  message: string;
}

/** Why the agents were stopped before they finished: a time limit, or a cancel (by a caller, or as orphaned). */
type StopReason = TimeLimit | RunError;

/**
 * Starts the run's clocks in `timers`: the chain's time limit, the service's maximum lifetime (when
 * the run carries it apart) and, for a run that can be orphaned, the orphan rule (stop when nobody
 * touched the run for `orphanTimeoutMs`). The workflow's own timers decide, so the rules hold across
 * API restarts and instances. While `paused` (the run waits for input) the chain's clock stands still
 * and the run cannot be orphaned. Cancelling `timers` stops them all.
 */
function startClocks(timers: CancellationScope, request: ChainRunRequest, stop: (reason: StopReason) => void, paused: () => boolean): void {
  const ignoreCancel = () => undefined; // a clock is cancelled when the run ends first
  const { timeoutMs } = request.plan;
  // Only a chain with input steps can pause. Other runs keep plain sleeps: their commands (and the
  // order in which a cancelled timer's command lands) stay exactly those their histories recorded.
  const canPause = request.plan.agents.some((agent) => agent.input !== undefined);
  timers
    .run(async () => {
      if (!canPause) return sleep(timeoutMs);
      for (let left = timeoutMs; ; ) {
        if (paused()) await condition(() => !paused());
        const from = Date.now();
        if (!(await condition(paused, left))) return;
        left -= Date.now() - from;
      }
    })
    .then(() => stop({ limitMs: timeoutMs, message: `The chain did not finish within its ${timeoutMs} ms limit.` }), ignoreCancel);
  const lifetimeMs = request.lifetimeMs;
  if (lifetimeMs !== undefined) {
    const message = `The run did not finish within the service's maximum run lifetime of ${lifetimeMs} ms.`;
    timers.run(() => sleep(lifetimeMs)).then(() => stop({ limitMs: lifetimeMs, message }), ignoreCancel);
  }
  const orphanTimeoutMs = request.orphanTimeoutMs;
  if (orphanTimeoutMs === undefined) return;
  let touchedAt = Date.now();
  setHandler(touchSignal, () => void (touchedAt = Date.now()));
  timers
    .run(async () => {
      for (let idle = 0; idle < orphanTimeoutMs; idle = Date.now() - touchedAt) {
        if (!canPause) await sleep(orphanTimeoutMs - idle);
        // A run waiting for input is never orphaned; its idle time starts again when it goes on.
        else if (paused()) {
          await condition(() => !paused());
          touchedAt = Date.now();
        } else await condition(paused, orphanTimeoutMs - idle);
      }
    })
    .then(() => stop({ code: 'orphaned', message: `Nobody polled or watched the run for ${orphanTimeoutMs} ms, so it was cancelled.` }), ignoreCancel);
}

/**
 * Ends the run: its final webhook, the state in the memo, RunStatus for listings, the end counted;
 * then completes with the state, or fails (or is cancelled) with the state left in the memo.
 */
async function end(request: ChainRunRequest, state: RunState, failure: unknown): Promise<RunState> {
  finish(state);
  runs.progressed(state);
  await notify(request, state, `chain.${state.status}` as WebhookEvent);
  upsertMemo({ [RESULT_MEMO_KEY]: state });
  upsertSearchAttributes([{ key: RunStatusKey, value: state.status }]);
  if (request.endMetric === 'sink') runs.ended({ chain: state.chain, status: state.status });
  else await CancellationScope.nonCancellable(() => recordRunEnd({ chain: state.chain, status: state.status }).catch(() => undefined));
  if (state.status === 'completed') return state;
  if (state.status === 'cancelled' && isCancellation(failure)) throw failure;
  throw ApplicationFailure.create({ type: state.error!.code, message: state.error!.message, nonRetryable: true });
}

const FILTER_OF: Record<WebhookEvent, WebhookEventFilter> = {
  'chain.completed': 'completed',
  'chain.failed': 'failed',
  'chain.timed_out': 'timed_out',
  'chain.cancelled': 'cancelled',
  'agent.completed': 'agent.completed',
  'run.input_required': 'input_required',
};

/**
 * Starts a webhook delivery for an event the run's webhook subscribed to. The delivery is its own
 * workflow, abandoned on close, so its retries never hold up this run; starting it is not
 * cancellable, so a cancelled run still reports that it was cancelled.
 */
async function notify(
  request: ChainRunRequest,
  state: RunState,
  event: WebhookEvent,
  extra?: Pick<WebhookPayload, 'agent' | 'agent_output' | 'agent_model' | 'agent_fallback_used' | 'agent_tokens' | 'input_request'>,
): Promise<void> {
  const webhook = request.webhook;
  if (!webhook || !webhook.events.includes(FILTER_OF[event])) return;
  const deliveryId = `${request.runId}-wh${state.deliveries.length + 1}`;
  state.deliveries.push(deliveryId);
  const payload: WebhookPayload = {
    event,
    run_id: state.run_id,
    chain: state.chain,
    chain_version: state.chain_version,
    status: state.status,
    output: state.status === 'completed' ? (state.output ?? null) : null,
    error: state.error,
    cost: state.cost,
    duration_ms: state.duration_ms ?? Date.now() - Date.parse(state.started_at),
    timestamp: new Date().toISOString(),
    delivery_id: deliveryId,
    ...(request.rerun && { rerun_of: request.rerun.of }),
    ...extra,
  };
  runs.progressed(state);
  await CancellationScope.nonCancellable(() =>
    startChild<typeof webhookDeliveryWorkflow>(WEBHOOK_DELIVERY_WORKFLOW, {
      workflowId: deliveryId,
      args: [{ deliveryId, callerId: request.callerId, url: webhook.url, sealedSecret: webhook.sealedSecret, policy: webhook.policy, payload }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      // Readable before the delivery's first workflow task runs.
      memo: {
        [DELIVERY_MEMO_KEY]: { delivery_id: deliveryId, run_id: state.run_id, event, url: webhook.url, status: 'pending', attempts: [], created_at: payload.timestamp } satisfies DeliveryRecord,
      },
      typedSearchAttributes: [
        { key: CallerIdKey, value: request.callerId },
        { key: DeliveryStatusKey, value: 'pending' },
      ],
      staticSummary: `${event} for ${request.runId}`,
    }),
  );
}

/**
 * Waits at an input step and gives its answer as the step's output. Without an answer in time the run
 * fails with input_timeout, or goes on with the step's default when it says `on_timeout: continue`.
 */
async function awaitInput(
  inputs: InputSteps,
  state: RunState,
  index: number,
  agent: AgentPlan,
  scope: TemplateScope,
  announce: (request: InputRequest) => Promise<void>,
): Promise<unknown> {
  const agentState = state.agents[index]!;
  agentState.status = 'waiting';
  agentState.started_at = new Date().toISOString();
  state.current_agent = agent.name;
  const startedMs = Date.now();
  runs.progressed(state);
  try {
    const outcome = await inputs.wait(index, agent, String(render(agent.input!.prompt, scope)), announce);
    if ('timedOut' in outcome) {
      agentState.status = 'failed';
      agentState.error = `No answer within ${agent.input!.timeoutMs} ms.`;
      throw new RunStopped({ code: 'input_timeout', message: `The input step "${agent.name}" got no answer within ${agent.input!.timeoutMs} ms.`, agent: agent.name });
    }
    agentState.status = 'completed';
    agentState.attempts = 1;
    agentState.answered_by = outcome.answeredBy;
    if (outcome.record) {
      agentState.answer_id = outcome.record.id;
      agentState.answer_hash = outcome.record.hash;
    }
    state.agents_completed += 1;
    return outcome.value;
  } catch (err) {
    if (agentState.status === 'waiting') agentState.status = 'cancelled';
    throw err;
  } finally {
    agentState.duration_ms = Date.now() - startedMs;
  }
}

/** The model an agent's entry records, as an agent.completed webhook carries it. */
function agentModelPayload(agent: AgentState): Pick<WebhookPayload, 'agent_model' | 'agent_fallback_used' | 'agent_tokens'> {
  if (agent.model === undefined) return {};
  return { agent_model: agent.model, agent_fallback_used: agent.fallback_used ?? false, ...(agent.tokens && { agent_tokens: agent.tokens }) };
}

/**
 * Runs one agent as an activity. With a run budget, the activity gets what is left of it, so an agent
 * can refuse a model call that cannot fit; a refusal (failure type budget_exceeded) ends the run so.
 */
async function runAgent(state: RunState, index: number, agent: AgentPlan, runId: string, scope: TemplateScope, budget: number | undefined): Promise<AgentResult> {
  const agentState = state.agents[index]!;
  agentState.status = 'running';
  agentState.started_at = new Date().toISOString();
  state.current_agent = agent.name;
  const startedMs = Date.now();
  const settings = renderWith(agent, scope);
  const options = {
    startToCloseTimeout: agent.timeoutMs,
    // Don't wait for the agent to acknowledge: the run's status must not hang on a dead worker.
    // The agent still learns of the cancel on its next heartbeat and aborts its in-flight call.
    cancellationType: ActivityCancellationType.TRY_CANCEL,
    retry: {
      maximumAttempts: agent.retry.maxAttempts,
      initialInterval: agent.retry.initialIntervalMs,
      backoffCoefficient: agent.retry.backoff,
      maximumInterval: agent.retry.maxIntervalMs,
    },
    summary: agentSummary(agent, settings),
  };
  const { runAgent: run } = agent.local ? proxyLocalActivities<Activities>(options) : proxyActivities<Activities>({ ...options, heartbeatTimeout: agent.heartbeatTimeoutMs });
  runs.progressed(state);
  try {
    const result = await run({
      runId,
      index,
      agent: agent.name,
      kind: agent.kind,
      with: settings,
      chain: state.chain,
      ...(budget !== undefined && { budget: roundUsd(budget - state.cost) }),
    });
    agentState.status = 'completed';
    agentState.attempts = result.attempt;
    agentState.cost = result.cost;
    if (result.model !== undefined) {
      agentState.model = result.model;
      agentState.fallback_used = result.fallbackUsed ?? false;
      agentState.tokens = { input: result.inputTokens ?? 0, output: result.tokens };
    }
    state.cost = roundUsd(state.cost + result.cost);
    state.agents_completed += 1;
    return result;
  } catch (err) {
    const details = failureDetails(err);
    agentState.attempts = details?.attempt ?? attemptsFromRetryState(err, agent.retry.maxAttempts);
    agentState.cost = details?.cost ?? 0;
    state.cost = roundUsd(state.cost + agentState.cost);
    if (!isCancellation(err)) {
      agentState.status = 'failed';
      agentState.error = failureMessage(err);
    }
    if (failureType(err) === ('budget_exceeded' satisfies RunErrorCode)) {
      throw new RunStopped({ code: 'budget_exceeded', message: `Agent "${agent.name}" stopped: ${agentState.error}`, agent: agent.name });
    }
    throw err;
  } finally {
    agentState.duration_ms = Date.now() - startedMs;
  }
}

/** The agent's settings with templates resolved; its split fields keep the chain text apart from what templates inserted. */
function renderWith(agent: AgentPlan, scope: TemplateScope): Record<string, unknown> {
  const rendered = render(agent.with, scope) as Record<string, unknown>;
  for (const field of agent.splitFields ?? []) {
    if (Object.hasOwn(agent.with, field)) rendered[field] = renderParts(agent.with[field], scope);
  }
  return rendered;
}

/** `stoppedBy` says why the agents' scope was cancelled from inside: a time limit or a cancel signal. */
function settleAfterFailure(state: RunState, err: unknown, stoppedBy: StopReason | undefined): void {
  if (err instanceof RunStopped) {
    state.status = 'failed';
    state.error = err.error;
  } else if (isCancellation(err) && stoppedBy && 'limitMs' in stoppedBy) {
    state.status = 'timed_out';
    state.error = { code: 'chain_timeout', message: stoppedBy.message };
  } else if (isCancellation(err)) {
    state.status = 'cancelled';
    state.error = stoppedBy && 'code' in stoppedBy ? stoppedBy : { code: 'cancelled', message: 'The run was cancelled.' };
  } else {
    const agent = state.agents.find((a) => a.status === 'failed');
    state.status = 'failed';
    state.error = { code: 'agent_failed', message: `Agent "${agent?.name}" failed: ${agent?.error}`, ...(agent && { agent: agent.name }) };
  }
  for (const agent of state.agents) {
    if (agent.status === 'running') agent.status = 'cancelled';
    else if (agent.status === 'pending') agent.status = 'skipped';
  }
}

class RunStopped extends Error {
  constructor(readonly error: RunError) {
    super(error.message);
  }
}

function initialState(request: ChainRunRequest): RunState {
  const { plan } = request;
  const reused = request.rerun?.reused ?? [];
  const state: RunState = {
    run_id: request.runId,
    chain: plan.chain,
    chain_version: plan.version,
    caller_id: request.callerId,
    status: 'running',
    current_agent: null,
    agents_completed: 0,
    agents_total: plan.agents.length,
    agents: plan.agents.map(
      (agent): AgentState => ({ name: agent.name, status: 'pending', attempts: 0, started_at: null, duration_ms: null, cost: 0, error: null }),
    ),
    cost: 0,
    started_at: new Date().toISOString(),
    ended_at: null,
    duration_ms: null,
    error: null,
    deliveries: [],
  };
  if (request.rerun) {
    // A reused agent keeps its entry as the original run recorded it; its cost was paid there, not here.
    for (const [index, { state: original }] of reused.entries()) {
      state.agents[index] = { ...original, status: 'reused', cost: 0, reused_cost: original.reused_cost ?? original.cost };
    }
    state.agents_completed = reused.length;
    state.rerun_of = request.rerun.of;
    state.reused_cost = roundUsd(state.agents.reduce((sum, agent) => sum + (agent.reused_cost ?? 0), 0));
  }
  return state;
}

function finish(state: RunState): void {
  state.current_agent = null;
  state.ended_at = new Date().toISOString();
  state.duration_ms = Date.parse(state.ended_at) - Date.parse(state.started_at);
}

/** The type of the ApplicationFailure an agent activity failed with, if it did. */
function failureType(err: unknown): string | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}

/** The attempt and cost the agent activity put in its failure's details; undefined when they are not there. */
function failureDetails(err: unknown): AgentFailureDetails | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  if (!(cause instanceof ApplicationFailure)) return undefined;
  const details: unknown = cause.details?.[0];
  return isAgentFailureDetails(details) ? details : undefined;
}

function attemptsFromRetryState(err: unknown, maxAttempts: number): number {
  return err instanceof ActivityFailure && err.retryState === 'MAXIMUM_ATTEMPTS_REACHED' ? maxAttempts : 1;
}

/** Costs are summed in whole micro-dollars so 0.1 + 0.2 reads 0.3 in every response. */
function roundUsd(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}
