import { ApplicationFailure, Context } from '@temporalio/activity';
import { AgentError, ensureError } from '../errors.js';
import { agentCost, agentDuration } from '../metrics.js';
import type { AgentFailureDetails, AgentHeartbeat, AgentRequest, AgentResult } from '../workflows/types.js';
import type { TokenChannel } from '../tokens/channel.js';
import type { AgentKinds } from './agents/registry.js';

/** How often a silent agent still heartbeats, so cancellation reaches it and a dead worker is noticed. */
const KEEPALIVE_MS = 1_000;

export interface RunAgentOptions {
  /** Where chunks are pushed as they are emitted, if anywhere. */
  tokens?: TokenChannel;
  /** The worker's heartbeat throttle: the first heartbeat waits this long (at most KEEPALIVE_MS). */
  heartbeatThrottleMs: number;
}

/**
 * The one activity every agent runs in. It parses the agent's settings, runs the kind, heartbeats the
 * cumulative output (the worker's throttle sends the latest at least every few hundred ms; streaming
 * readers diff it), pushes each chunk at once on the token channel when there is one (live streams
 * read it; heartbeats stay the durable record) and turns failures into ApplicationFailures whose retry
 * meaning Temporal honours.
 */
export function createRunAgent(kinds: AgentKinds, { tokens, heartbeatThrottleMs }: RunAgentOptions) {
  // Every heartbeat is a round trip and a database write on the server, and an agent's result carries
  // its whole output anyway. So the first one waits a throttle interval, as every later one may: an
  // agent done sooner never heartbeats (live streams had its chunks pushed, or read them from the
  // result), and one that runs on is recorded exactly as before.
  const firstBeatMs = Math.min(heartbeatThrottleMs, KEEPALIVE_MS);
  return async function runAgent(request: AgentRequest): Promise<AgentResult> {
    const context = Context.current();
    const { attempt, isLocal } = context.info;
    const progress: AgentHeartbeat = { text: '', tokens: 0, cost: 0, attempt, restart: 0 };
    let tokensReported = false;
    let inputTokens: number | undefined;
    // A local activity has no heartbeats and no place in history until it completes: its output reaches
    // streams whole, from its result, so nothing is pushed either.
    let beating = false;
    const beat = isLocal ? () => undefined : () => beating && context.heartbeat({ ...progress });
    const push = isLocal ? undefined : tokens;
    const started = performance.now();
    let outcome = 'failed';
    const firstBeat = isLocal ? undefined : setTimeout(() => ((beating = true), beat()), firstBeatMs);
    const keepalive = isLocal ? undefined : setInterval(beat, KEEPALIVE_MS);
    try {
      const kind = kinds.get(request.kind);
      if (!kind) throw ApplicationFailure.nonRetryable(`Unknown agent kind "${request.kind}"`, 'unknown_agent_kind');
      const settings = kind.with.safeParse(request.with);
      if (!settings.success) {
        const problems = settings.error.issues.map((i) => `${i.path.join('.') || 'with'}: ${i.message}`).join('; ');
        throw ApplicationFailure.nonRetryable(`Agent "${request.agent}" has invalid settings: ${problems}`, 'invalid_agent_settings');
      }
      const answer = await kind.run({
        with: settings.data,
        runId: request.runId,
        chain: request.chain,
        agent: request.agent,
        index: request.index,
        attempt,
        budget: request.budget,
        signal: context.cancellationSignal,
        emit(chunk) {
          const restart = progress.restart || undefined;
          push?.publish({ runId: request.runId, activityId: context.info.activityId, attempt, ...(restart && { restart }), offset: progress.text.length, text: chunk });
          progress.text += chunk;
          if (!tokensReported) progress.tokens += 1;
          beat();
        },
        addUsage(usage) {
          if (usage.cost !== undefined) progress.cost += usage.cost;
          if (usage.inputTokens !== undefined) inputTokens = usage.inputTokens;
          if (usage.tokens !== undefined) {
            progress.tokens = usage.tokens;
            tokensReported = true;
          }
          beat();
        },
        restart({ model, error }) {
          // Heartbeated at once (once heartbeats began): the restart must reach readers before the new model's first chunk.
          progress.restart = (progress.restart ?? 0) + 1;
          progress.model = model;
          progress.restartError = error;
          progress.text = '';
          if (!tokensReported) progress.tokens = 0;
          beat();
        },
      });
      outcome = 'completed';
      return {
        output: answer.output,
        text: progress.text,
        cost: progress.cost,
        tokens: progress.tokens,
        attempt,
        ...(inputTokens !== undefined && { inputTokens }),
        ...(answer.model !== undefined && { model: answer.model, fallbackUsed: answer.fallbackUsed ?? false }),
        ...(progress.restart ? { restart: progress.restart } : {}),
        ...(isLocal && { agent: request.agent, index: request.index, duration_ms: Math.round(performance.now() - started) }),
      };
    } catch (thrown) {
      throw toFailure(thrown, { attempt, cost: progress.cost }, context.cancellationSignal);
    } finally {
      clearTimeout(firstBeat);
      clearInterval(keepalive);
      if (context.cancellationSignal.aborted) outcome = 'cancelled';
      agentDuration.observe({ kind: request.kind, outcome }, (performance.now() - started) / 1000);
      if (progress.cost > 0) agentCost.inc({ kind: request.kind }, progress.cost);
    }
  };
}

function toFailure(thrown: unknown, details: AgentFailureDetails, signal: AbortSignal): unknown {
  // Cancellation must surface as itself so Temporal records the activity as cancelled.
  if (signal.aborted) return signal.reason ?? thrown;
  if (thrown instanceof ApplicationFailure) {
    return ApplicationFailure.create({ message: thrown.message, type: thrown.type ?? undefined, nonRetryable: thrown.nonRetryable ?? undefined, details: [details] });
  }
  const err = ensureError(thrown);
  if (err instanceof AgentError) {
    return ApplicationFailure.create({
      message: err.message,
      type: err.code,
      nonRetryable: !err.retryable,
      details: [details],
      nextRetryDelay: err.retryAfterMs,
    });
  }
  // Unexpected errors are treated as transient: the retry policy bounds them.
  return ApplicationFailure.create({ message: err.message, type: err.name, details: [details] });
}
