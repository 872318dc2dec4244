import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { z } from 'zod';
import { AGENT_ACTIVITY, LOCAL_ACTIVITY_MARKER } from './agent-history.js';
import { decodeFirst, decodeMemo, parseRecord } from '../temporal/payloads.js';
import { INPUT_MEMO_KEY, provideInputUpdate } from '../workflows/definitions.js';
import { inputMemoSchema } from '../records/schemas.js';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** What a rerun needs from the run it re-runs: its input, its agents as it ran them, and each finished agent's output. */
export interface RecordedRun {
  input: unknown;
  agents: Array<{ name: string; kind: string }>;
  /** Output by agent index, for every agent that finished (ran, was answered, took its default, or was itself reused). */
  outputs: Map<number, unknown>;
}

// Only the fields read here, each checked: the run's start request, an agent's request and result, an input answer.
const startedRequest = z.object({
  input: z.unknown(),
  plan: z.object({
    agents: z.array(z.object({ name: z.string(), kind: z.string(), input: z.object({ default: z.unknown().optional() }).optional() })),
  }),
  rerun: z.object({ reused: z.array(z.object({ output: z.unknown() })) }).optional(),
});
const agentRequest = z.object({ index: z.number().int().nonnegative() });
const agentResult = z.object({ output: z.unknown() });
const localAgentResult = agentResult.extend({ index: z.number().int().nonnegative() });
const inputAnswer = z.object({ step: z.string(), value: z.unknown() });


/**
 * Reads a run's history for what its agents produced, exactly as recorded: activity results, local
 * agents' markers, accepted input answers, an input step's default, and outputs the run itself reused.
 * The history, not the run's state, is where outputs live: the state carries only the final output.
 */
export async function readRecordedRun(client: Client, runId: string): Promise<RecordedRun> {
  const { namespace, loadedDataConverter: converter } = client.options;
  const decode = async <T>(schema: z.ZodType<T>, payloads: Parameters<typeof decodeFirst>[1], what: string) =>
    parseRecord(schema, await decodeFirst(converter, payloads), `${what} of run ${runId}`);
  let run: z.infer<typeof startedRequest> | undefined;
  const outputs = new Map<number, unknown>();
  const scheduled = new Map<string, number>();
  const readEvent = async (event: HistoryEvent) => {
    const started = event.workflowExecutionStartedEventAttributes;
    if (started) {
      run = await decode(startedRequest, started.input?.payloads, 'The start request');
      for (const [index, reused] of (run.rerun?.reused ?? []).entries()) outputs.set(index, reused.output);
      return;
    }
    const scheduledAgent = event.activityTaskScheduledEventAttributes;
    if (scheduledAgent?.activityType?.name === AGENT_ACTIVITY) {
      scheduled.set(String(event.eventId), (await decode(agentRequest, scheduledAgent.input?.payloads, 'An agent request')).index);
      return;
    }
    const completed = event.activityTaskCompletedEventAttributes;
    const index = completed ? scheduled.get(String(completed.scheduledEventId)) : undefined;
    if (completed && index !== undefined) {
      outputs.set(index, (await decode(agentResult, completed.result?.payloads, 'An agent result')).output);
      return;
    }
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName === LOCAL_ACTIVITY_MARKER) {
      // Other local activities' markers, and failed attempts' (no result), are not agent outputs.
      const result = localAgentResult.safeParse(await decodeFirst(converter, marker.details?.result?.payloads).catch(() => undefined));
      if (result.success && 'output' in result.data) outputs.set(result.data.index, result.data.output);
      return;
    }
    const update = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input;
    if (update?.name === provideInputUpdate.name) {
      const answer = await decode(inputAnswer, update.args?.payloads, 'An input answer');
      const step = run?.plan.agents.findIndex((agent) => agent.name === answer.step) ?? -1;
      if (step >= 0) outputs.set(step, answer.value);
      return;
    }
    const memo = event.workflowPropertiesModifiedEventAttributes?.upsertedMemo?.fields;
    if (memo?.[INPUT_MEMO_KEY]) {
      const fields = await decodeMemo(converter, memo);
      const input = parseRecord(inputMemoSchema, fields[INPUT_MEMO_KEY], `The input step of run ${runId}`);
      if ('answered_by' in input && input.answered_by === 'default') outputs.set(input.index, run?.plan.agents[input.index]?.input?.default);
    }
  };

  let nextPageToken: Uint8Array | undefined;
  do {
    const response = await client.workflowService.getWorkflowExecutionHistory({ namespace, execution: { workflowId: runId }, nextPageToken });
    for (const event of response.history?.events ?? []) await readEvent(event);
    nextPageToken = response.nextPageToken?.length ? response.nextPageToken : undefined;
  } while (nextPageToken);
  if (!run) throw new Error(`Run ${runId} has no start event in its history`);
  return { input: run.input, agents: run.plan.agents.map(({ name, kind }) => ({ name, kind })), outputs };
}
