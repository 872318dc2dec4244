import type { LoadedDataConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { z } from 'zod';
import { AGENT_ACTIVITY, LOCAL_ACTIVITY_MARKER } from '../agent-history.js';
import { decodeFirst, decodeMemo, failureMessage, parseRecord, timestampMs } from '../../temporal/payloads.js';
import { INPUT_MEMO_KEY, RESULT_MEMO_KEY } from '../../workflows/definitions.js';
import { agentStateSchema, endStatusSchema, inputMemoSchema, rerunOfSchema, runStateSchema } from '../../records/schemas.js';
import type { AgentHeartbeat, AgentRequest, AgentResult, ChainRunRequest } from '../../workflows/types.js';
import type { FinalState, HistoryFact, PendingFact } from './timeline.js';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type PendingActivity = temporal.api.workflow.v1.IPendingActivityInfo;
type Payload = temporal.api.common.v1.IPayload;

// Temporal payloads are parsed, not cast: only the fields the stream reads, each checked.
const runRequest = z.object({
  runId: z.string(),
  plan: z.object({ chain: z.string(), version: z.number().int(), agents: z.array(z.unknown()) }),
  rerun: z.object({ of: rerunOfSchema, reused: z.array(z.object({ state: agentStateSchema.pick({ name: true, cost: true, reused_cost: true }) })) }).optional(),
}) satisfies z.ZodType<{ runId: ChainRunRequest['runId']; plan: Pick<ChainRunRequest['plan'], 'chain' | 'version'> }>;
const agentRequest = z.object({ index: z.number().int().nonnegative(), agent: z.string() }) satisfies z.ZodType<Pick<AgentRequest, 'index' | 'agent'>>;
const agentResult = z
  .object({
    text: z.string(),
    cost: z.number(),
    attempt: z.number().int().positive(),
    restart: z.number().int().nonnegative().optional(),
    model: z.string().optional(),
    fallbackUsed: z.boolean().optional(),
    tokens: z.number().int().nonnegative().optional(),
    inputTokens: z.number().int().nonnegative().optional(),
  })
  .transform(({ model, fallbackUsed, tokens, inputTokens, ...result }) => ({
    ...result,
    ...(model !== undefined && { model, fallback_used: fallbackUsed ?? false, tokens: { input: inputTokens ?? 0, output: tokens ?? 0 } }),
  })) satisfies z.ZodType<Pick<AgentResult, 'text' | 'cost' | 'attempt' | 'restart'>, unknown>;
const heartbeat = z.object({
  text: z.string(),
  attempt: z.number().int().positive(),
  restart: z.number().int().nonnegative().optional(),
  model: z.string().optional(),
  restartError: z.string().optional(),
}) satisfies z.ZodType<Pick<AgentHeartbeat, 'text' | 'attempt' | 'restart' | 'model' | 'restartError'>>;
const finalState = runStateSchema.pick({ output: true, cost: true, duration_ms: true, error: true }).extend({ status: endStatusSchema }) satisfies z.ZodType<FinalState>;

/** A local agent's result carries who it was: the marker names neither the agent nor its index. */
const localAgentResult = z.intersection(agentResult, z.object({ agent: z.string(), index: z.number().int().nonnegative(), duration_ms: z.number().int().nonnegative() }));


/**
 * What the stream needs from a batch of history events, decoded with the client's data converter
 * (so payload codecs apply). Events that say nothing to the stream are skipped.
 */
export async function historyFacts(converter: LoadedDataConverter, events: readonly HistoryEvent[]): Promise<HistoryFact[]> {
  const facts: HistoryFact[] = [];
  for (const event of events) {
    const fact = await historyFact(converter, event);
    if (fact) facts.push(fact);
  }
  return facts;
}

async function historyFact(converter: LoadedDataConverter, event: HistoryEvent): Promise<HistoryFact | undefined> {
  const eventId = toNumber(event.eventId);
  const time = timestampMs(event.eventTime);
  const parseFirst = async <T>(schema: z.ZodType<T>, payloads: Payload[] | null | undefined) => parseRecord(schema, await decodeFirst(converter, payloads), `History event ${eventId}`);

  if (event.workflowExecutionStartedEventAttributes) {
    const request = await parseFirst(runRequest, event.workflowExecutionStartedEventAttributes.input?.payloads);
    const rerun = request.rerun && {
      rerunOf: request.rerun.of,
      // What each reused agent cost in the run it was first paid in.
      reused: request.rerun.reused.map(({ state }, index) => ({ agent: state.name, index, reused_cost: state.reused_cost ?? state.cost })),
    };
    return { type: 'run-started', eventId, time, runId: request.runId, chain: request.plan.chain, chainVersion: request.plan.version, agentsTotal: request.plan.agents.length, ...rerun };
  }
  const scheduled = event.activityTaskScheduledEventAttributes;
  if (scheduled) {
    if (scheduled.activityType?.name !== AGENT_ACTIVITY) return undefined;
    const request = await parseFirst(agentRequest, scheduled.input?.payloads);
    return { type: 'agent-scheduled', eventId, time, activityId: scheduled.activityId ?? '', index: request.index, agent: request.agent };
  }
  const started = event.activityTaskStartedEventAttributes;
  if (started) {
    return { type: 'agent-attempt', scheduledEventId: toNumber(started.scheduledEventId), attempt: started.attempt ?? 1, lastFailure: await failureMessage(converter, started.lastFailure) };
  }
  const completed = event.activityTaskCompletedEventAttributes;
  if (completed) {
    const result = await parseFirst(agentResult, completed.result?.payloads).catch(() => undefined);
    // Not an agent's result: an activity the stream does not follow.
    if (!result) return { type: 'agent-closed', scheduledEventId: toNumber(completed.scheduledEventId) };
    return { type: 'agent-completed', eventId, time, scheduledEventId: toNumber(completed.scheduledEventId), ...result };
  }
  const marker = event.markerRecordedEventAttributes;
  if (marker?.markerName === LOCAL_ACTIVITY_MARKER) {
    // Another local activity's result (or a failed attempt's marker, which has none) says nothing to the stream.
    const result = localAgentResult.safeParse(await decodeFirst(converter, marker.details?.result?.payloads).catch(() => undefined));
    if (!result.success) return undefined;
    const { agent, index, text, cost, attempt, duration_ms: durationMs, ...model } = result.data;
    return { type: 'local-agent-completed', eventId, index, agent, text, cost, attempt, durationMs, ...model };
  }
  const closed = event.activityTaskFailedEventAttributes ?? event.activityTaskTimedOutEventAttributes ?? event.activityTaskCanceledEventAttributes;
  if (closed) return { type: 'agent-closed', scheduledEventId: toNumber(closed.scheduledEventId) };

  const memo = event.workflowPropertiesModifiedEventAttributes?.upsertedMemo?.fields;
  if (memo?.[INPUT_MEMO_KEY]) {
    const fields = await decodeMemo(converter, memo);
    const input = parseRecord(inputMemoSchema, fields[INPUT_MEMO_KEY], `The input step in history event ${eventId}`);
    if ('answered_by' in input) return { type: 'run-resumed', eventId, step: input.step, index: input.index, answeredBy: input.answered_by };
    return { type: 'run-waiting', eventId, request: input };
  }
  if (memo?.[RESULT_MEMO_KEY]) {
    const fields = await decodeMemo(converter, memo);
    return { type: 'run-settled', eventId, time, state: parseRecord(finalState, fields[RESULT_MEMO_KEY], `The final state in history event ${eventId}`) };
  }
  return runClosedFact(converter, event, eventId, time);
}

async function runClosedFact(converter: LoadedDataConverter, event: HistoryEvent, eventId: number, time: number): Promise<HistoryFact | undefined> {
  if (event.workflowExecutionCompletedEventAttributes) {
    const decoded = await decodeFirst(converter, event.workflowExecutionCompletedEventAttributes.result?.payloads);
    const state = finalState.safeParse(decoded);
    return { type: 'run-closed', eventId, time, status: 'completed', reason: 'The run completed.', ...(state.success && { state: state.data }) };
  }
  if (event.workflowExecutionFailedEventAttributes) {
    const reason = (await failureMessage(converter, event.workflowExecutionFailedEventAttributes.failure)) ?? 'The run failed.';
    return { type: 'run-closed', eventId, time, status: 'failed', reason };
  }
  if (event.workflowExecutionCanceledEventAttributes) return { type: 'run-closed', eventId, time, status: 'cancelled', reason: 'The run was cancelled.' };
  if (event.workflowExecutionTimedOutEventAttributes) return { type: 'run-closed', eventId, time, status: 'timed_out', reason: 'The run timed out in Temporal.' };
  if (event.workflowExecutionTerminatedEventAttributes) {
    const why = event.workflowExecutionTerminatedEventAttributes.reason;
    return { type: 'run-closed', eventId, time, status: 'cancelled', reason: `The run was terminated in Temporal${why ? `: ${why}` : '.'}` };
  }
  if (event.workflowExecutionContinuedAsNewEventAttributes) return { type: 'run-closed', eventId, time, status: 'failed', reason: 'The run continued as a new execution.' };
  return undefined;
}

/** The running agents' attempts, last failures and latest heartbeats. */
export async function pendingFacts(converter: LoadedDataConverter, pending: readonly PendingActivity[]): Promise<PendingFact[]> {
  const facts: PendingFact[] = [];
  for (const activity of pending) {
    if (activity.activityType?.name !== AGENT_ACTIVITY || !activity.activityId) continue;
    const payloads = activity.heartbeatDetails?.payloads;
    const beat = payloads?.length ? heartbeat.safeParse(await decodeFirst(converter, payloads)) : undefined;
    facts.push({
      activityId: activity.activityId,
      attempt: activity.attempt ?? 1,
      lastFailure: await failureMessage(converter, activity.lastFailure),
      heartbeat: beat?.success ? beat.data : undefined,
    });
  }
  return facts;
}

/** History ids are int64 (protobuf Long); run histories stay far below 2^53. */
function toNumber(value: { toString(): string } | number | null | undefined): number {
  return value === null || value === undefined ? 0 : Number(value.toString());
}
