import type { AgentState, EndStatus, InputRequest, RerunOf, RunError } from '../../workflows/types.js';

type AnsweredBy = NonNullable<AgentState['answered_by']>;
import { RUN_EVENT, TERMINAL_EVENT, type RunEvent, type RunEventData } from './events.js';

/** A rerun's reused agent, as its run.started event lists it. */
type ReusedAgentEvent = NonNullable<RunEventData<'run.started'>['reused']>[number];


/** The final state a run leaves in its memo (or returns), as far as the stream needs it. */
export interface FinalState {
  status: EndStatus;
  output?: unknown;
  cost: number;
  duration_ms: number | null;
  error: RunError | null;
}

/** What the stream learns from one history event, decoded. Times are epoch ms. */
export type HistoryFact =
  | { type: 'run-started'; eventId: number; time: number; runId: string; chain: string; chainVersion: number; agentsTotal: number; rerunOf?: RerunOf; reused?: ReusedAgentEvent[] }
  | { type: 'agent-scheduled'; eventId: number; time: number; activityId: string; index: number; agent: string }
  /** ActivityTaskStarted: Temporal writes it when the agent's last attempt ends, with that attempt's number. */
  | { type: 'agent-attempt'; scheduledEventId: number; attempt: number; lastFailure: string | undefined }
  | ({ type: 'agent-completed'; eventId: number; time: number; scheduledEventId: number; text: string; cost: number; attempt: number; restart?: number } & AgentModel)
  /**
   * A local agent completed (`execution: local`): its one marker event is all history holds of it, so
   * it starts, streams its whole output and completes at that event.
   */
  | ({ type: 'local-agent-completed'; eventId: number; index: number; agent: string; text: string; cost: number; attempt: number; durationMs: number } & AgentModel)
  /** The agent failed for good, timed out or was cancelled: no agent.completed follows. */
  | { type: 'agent-closed'; scheduledEventId: number }
  /** The run started waiting at an input step (memo `input` with the request). */
  | { type: 'run-waiting'; eventId: number; request: InputRequest }
  /** The run went on past an input step (memo `input` with who answered). */
  | { type: 'run-resumed'; eventId: number; step: string; index: number; answeredBy: AnsweredBy }
  /** The workflow stored its final state (memo `result`): the run has ended as far as callers can tell. */
  | { type: 'run-settled'; eventId: number; time: number; state: FinalState }
  /** The workflow closed; `state` when the close event carries it (a completed run's result). */
  | { type: 'run-closed'; eventId: number; time: number; status: EndStatus; reason: string; state?: FinalState };

/** What an agent that called a model reports with its result, as agent.completed carries it. */
export type AgentModel = Pick<RunEventData<'agent.completed'>, 'model' | 'fallback_used' | 'tokens'>;

/** A running agent as describeWorkflowExecution's pendingActivities shows it. */
export interface PendingFact {
  activityId: string;
  /** The attempt running now, or the next one while the agent waits out a retry backoff. */
  attempt: number;
  /** The previous attempt's failure, once there was one. */
  lastFailure: string | undefined;
  /**
   * The latest heartbeat: cumulative output of attempt `heartbeat.attempt` since its `restart`-th
   * restart (absent: 0), which `model` took over after `restartError` (details survive into the next attempt).
   */
  heartbeat: { text: string; attempt: number; restart?: number; model?: string; restartError?: string } | undefined;
}

/** Part of an attempt's output pushed by the agent as it emitted it: `text` starts at `offset`. */
export interface PushedOutput {
  activityId: string;
  attempt: number;
  /** Restarts of the attempt before this output; absent: 0. */
  restart?: number;
  offset: number;
  text: string;
}

/**
 * What became of pushed output: `used` (sent, or already covered: drop it), `wait` (its agent is not
 * in the history read so far, or it starts past what was sent: keep it until history or a heartbeat
 * catches up), `ahead` (an attempt not announced yet: keep it, and read the pending activities now,
 * since only they tell the retry's cause).
 */
export type PushVerdict = 'used' | 'wait' | 'ahead';

interface AgentTrack {
  scheduledEventId: number;
  scheduledAt: number;
  index: number;
  name: string;
  /** The highest attempt announced (1, then one agent.retrying per later attempt). */
  attempt: number;
  /** The highest restart of that attempt announced (0, then one agent.retrying with reason fallback per restart seen). */
  restart: number;
  /** Characters of that attempt's output since that restart already sent. */
  sent: number;
  closed: boolean;
}

/**
 * Turns a run's history and its running agents' heartbeats into the stream's events, in order. Fed
 * the same history it yields the same lifecycle events with the same positions; output chunk
 * boundaries depend on when heartbeats were seen, but every chunk's position names the same place in
 * the output, so resuming from any id is exact.
 */
export class RunTimeline {
  private readonly bySchedule = new Map<number, AgentTrack>();
  private readonly byActivity = new Map<string, AgentTrack>();
  private runId = '';
  private startedAt = 0;
  private completedCost = 0;
  private settled = false;

  /** True once the terminal run.* event was produced. */
  get ended(): boolean {
    return this.settled;
  }

  /** True while some agent runs, i.e. while heartbeats can bring output. */
  get agentRunning(): boolean {
    for (const agent of this.byActivity.values()) if (!agent.closed) return true;
    return false;
  }

  applyHistory(fact: HistoryFact): RunEvent[] {
    if (this.settled) return [];
    switch (fact.type) {
      case 'run-started':
        this.runId = fact.runId;
        this.startedAt = fact.time;
        return [
          {
            position: at(fact.eventId),
            event: RUN_EVENT.runStarted,
            data: { run_id: fact.runId, chain: fact.chain, chain_version: fact.chainVersion, agents_total: fact.agentsTotal, ...(fact.rerunOf && { rerun_of: fact.rerunOf, reused: fact.reused ?? [] }) },
          },
        ];
      case 'agent-scheduled': {
        const agent: AgentTrack = { scheduledEventId: fact.eventId, scheduledAt: fact.time, index: fact.index, name: fact.agent, attempt: 1, restart: 0, sent: 0, closed: false };
        this.bySchedule.set(fact.eventId, agent);
        this.byActivity.set(fact.activityId, agent);
        return [{ position: at(fact.eventId), event: RUN_EVENT.agentStarted, data: { agent: agent.name, index: agent.index } }];
      }
      case 'agent-attempt': {
        const agent = this.open(this.bySchedule.get(fact.scheduledEventId));
        return agent ? this.advance(agent, fact.attempt, fact.lastFailure) : [];
      }
      case 'agent-completed': {
        const agent = this.open(this.bySchedule.get(fact.scheduledEventId));
        if (!agent) return [];
        const events = [...this.advance(agent, fact.attempt, undefined)];
        if (fact.restart) events.push(...this.restartTo(agent, fact.restart, fact.model, undefined));
        events.push(...this.output(agent, fact.text));
        agent.closed = true;
        this.completedCost += fact.cost;
        events.push({
          position: at(fact.eventId),
          event: RUN_EVENT.agentCompleted,
          data: { agent: agent.name, index: agent.index, duration_ms: Math.max(0, fact.time - agent.scheduledAt), cost: fact.cost, attempts: fact.attempt, ...modelOf(fact) },
        });
        return events;
      }
      case 'local-agent-completed': {
        this.completedCost += fact.cost;
        const data = { agent: fact.agent, index: fact.index };
        const end = fact.text.length;
        return [
          { position: at(fact.eventId), event: RUN_EVENT.agentStarted, data },
          ...(end > 0 ? [{ position: { event: fact.eventId, attempt: fact.attempt, offset: end }, event: RUN_EVENT.agentOutput, data: { ...data, chunk: fact.text, offset: 0 } }] : []),
          {
            position: { event: fact.eventId, attempt: fact.attempt, offset: end + 1 },
            event: RUN_EVENT.agentCompleted,
            data: { ...data, duration_ms: fact.durationMs, cost: fact.cost, attempts: fact.attempt, ...modelOf(fact) },
          },
        ];
      }
      case 'agent-closed': {
        const agent = this.bySchedule.get(fact.scheduledEventId);
        if (agent) agent.closed = true;
        return [];
      }
      case 'run-waiting':
        return [{ position: at(fact.eventId), event: RUN_EVENT.runWaiting, data: fact.request }];
      case 'run-resumed':
        return [{ position: at(fact.eventId), event: RUN_EVENT.runResumed, data: { step: fact.step, index: fact.index, answered_by: fact.answeredBy } }];
      case 'run-settled':
        return [this.end(fact.eventId, fact.time, fact.state)];
      case 'run-closed':
        return [this.end(fact.eventId, fact.time, fact.state ?? this.fallbackState(fact))];
    }
  }

  /** New output and retries seen in the running agents' heartbeats; stale or unknown activities are ignored. */
  applyPending(pending: readonly PendingFact[]): RunEvent[] {
    if (this.settled) return [];
    const events: RunEvent[] = [];
    for (const activity of pending) {
      const agent = this.open(this.byActivity.get(activity.activityId));
      if (!agent) continue;
      const beat = activity.heartbeat;
      events.push(...this.advance(agent, Math.max(activity.attempt, beat?.attempt ?? 0), activity.lastFailure));
      if (beat?.attempt !== agent.attempt) continue;
      events.push(...this.restartTo(agent, beat.restart ?? 0, beat.model, beat.restartError));
      if ((beat.restart ?? 0) === agent.restart) events.push(...this.output(agent, beat.text));
    }
    return events;
  }

  /**
   * Output pushed by the agent, sent only for the attempt already announced and only from where the
   * sent output ends: a push never announces an attempt nor skips over missing text.
   */
  applyPushed(pushed: PushedOutput): { verdict: PushVerdict; events: RunEvent[] } {
    const agent = this.byActivity.get(pushed.activityId);
    if (!agent) return { verdict: this.settled ? 'used' : 'wait', events: [] };
    const order = pushed.attempt - agent.attempt || (pushed.restart ?? 0) - agent.restart;
    if (this.settled || agent.closed || order < 0) return { verdict: 'used', events: [] };
    if (order > 0) return { verdict: 'ahead', events: [] };
    if (pushed.offset > agent.sent) return { verdict: 'wait', events: [] };
    return { verdict: 'used', events: this.output(agent, pushed.text, pushed.offset) };
  }

  private open(agent: AgentTrack | undefined): AgentTrack | undefined {
    return agent && !agent.closed ? agent : undefined;
  }

  /**
   * One agent.retrying per attempt after the last announced one. Only the newest attempt's cause is
   * known (Temporal keeps just the last failure), so skipped-over attempts say so.
   */
  private advance(agent: AgentTrack, attempt: number, lastFailure: string | undefined): RunEvent[] {
    const events: RunEvent[] = [];
    while (agent.attempt < attempt) {
      agent.attempt += 1;
      agent.restart = 0;
      agent.sent = 0;
      const error = agent.attempt === attempt && lastFailure ? lastFailure : `Attempt ${agent.attempt - 1} failed; its error was not recorded.`;
      events.push({
        position: { event: agent.scheduledEventId, attempt: agent.attempt, offset: 0 },
        event: RUN_EVENT.agentRetrying,
        data: { agent: agent.name, index: agent.index, attempt: agent.attempt, error },
      });
    }
    return events;
  }

  /**
   * One agent.retrying (reason fallback) when the current attempt restarted its output since the last
   * one announced: clients drop the attempt's output so far, and `model`'s follows. Restarts passed
   * between two reads are announced once, by the newest (its position names it).
   */
  private restartTo(agent: AgentTrack, restart: number, model: string | undefined, error: string | undefined): RunEvent[] {
    if (restart <= agent.restart) return [];
    agent.restart = restart;
    agent.sent = 0;
    return [
      {
        position: { event: agent.scheduledEventId, attempt: agent.attempt, restart, offset: 0 },
        event: RUN_EVENT.agentRetrying,
        data: {
          agent: agent.name,
          index: agent.index,
          attempt: agent.attempt,
          error: error ?? 'The model before failed; its error was not recorded.',
          reason: 'fallback',
          ...(model !== undefined && { model }),
        },
      },
    ];
  }

  /**
   * The part not sent yet of the current attempt's output `text`, which starts at `from` (0 for the
   * cumulative text of heartbeats and results; `from` must not be past what was sent), as one chunk.
   */
  private output(agent: AgentTrack, text: string, from = 0): RunEvent[] {
    const end = from + text.length;
    if (end <= agent.sent) return [];
    const offset = agent.sent;
    agent.sent = end;
    return [
      {
        position: { event: agent.scheduledEventId, attempt: agent.attempt, ...(agent.restart > 0 && { restart: agent.restart }), offset: end },
        event: RUN_EVENT.agentOutput,
        data: { agent: agent.name, index: agent.index, chunk: text.slice(offset - from), offset },
      },
    ];
  }

  private end(eventId: number, time: number, state: FinalState): RunEvent {
    this.settled = true;
    const ended = { run_id: this.runId, cost: state.cost, duration_ms: state.duration_ms ?? Math.max(0, time - this.startedAt) };
    const position = at(eventId);
    if (state.status === 'completed') return { position, event: RUN_EVENT.runCompleted, data: { ...ended, output: state.output ?? null } };
    const error = state.error ?? { code: ERROR_CODE[state.status], message: `The run ended ${state.status}.` };
    return { position, event: TERMINAL_EVENT[state.status], data: { ...ended, error } };
  }

  /** For a run closed without its final state (terminated by an operator, for one). */
  private fallbackState(fact: Extract<HistoryFact, { type: 'run-closed' }>): FinalState {
    return {
      status: fact.status,
      cost: Math.round(this.completedCost * 1e6) / 1e6,
      duration_ms: null,
      error: fact.status === 'completed' ? null : { code: ERROR_CODE[fact.status], message: fact.reason },
    };
  }
}

/** The error code of a run that ended without its own (it closed without storing its final state). */
const ERROR_CODE = { failed: 'agent_failed', timed_out: 'chain_timeout', cancelled: 'cancelled' } as const satisfies Record<Exclude<EndStatus, 'completed'>, RunError['code']>;

/** The model fields of agent.completed, present only for agents that called a model. */
function modelOf(fact: AgentModel): AgentModel {
  return { ...(fact.model !== undefined && { model: fact.model, fallback_used: fact.fallback_used ?? false }), ...(fact.tokens && { tokens: fact.tokens }) };
}

function at(eventId: number) {
  return { event: eventId, attempt: 0, offset: 0 };
}
