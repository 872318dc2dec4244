import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { Logger } from '../../logger.js';
import { GrpcStatus, hasGrpcStatus } from '../../temporal/errors.js';
import type { TokenChannel, TokenChunk } from '../../tokens/channel.js';
import type { RunEvent } from './events.js';
import { historyFacts, pendingFacts } from './facts.js';
import type { Position } from './ids.js';
import { resumeAfter } from './resume.js';
import { RunTimeline, type PushedOutput } from './timeline.js';

const { HistoryEventFilterType } = proto.temporal.api.enums.v1;

export interface ReaderOptions {
  /** How often a running agent's heartbeats are read (only while an agent runs). */
  heartbeatPollMs?: number;
  /** The longest gap between heartbeat reads while pushed output keeps arriving (the push path carries the tokens then). */
  maxHeartbeatPollMs?: number;
  /** Where agents push their output as they emit it; without one, output comes from heartbeats only. */
  tokens?: TokenChannel;
  /** Consecutive failed Temporal calls after which the reader gives up and ends its streams. */
  maxFailures?: number;
  log?: Logger;
}

/** Someone watching a run: gets each event past its resume point, then `end` once. */
export interface RunSubscriber {
  event(event: RunEvent): void;
  end(): void;
}

export interface Subscription {
  /** Stops delivery; the reader stops when its last subscriber leaves. */
  unsubscribe(): void;
  /** Whether the run's terminal event was reached (the run ended as far as callers can tell). */
  readonly runEnded: boolean;
}

/** Pushed chunks kept for later (a gap, an unannounced attempt, an agent not in history yet), at most. */
const MAX_WAITING_PUSHES = 1_000;

/**
 * Follows one run for every subscriber watching it from this process: a long-poll of the workflow
 * history for lifecycle events and, only while an agent runs, a short poll of the pending activity's
 * heartbeats for its output. With a token channel, output also arrives as the agent emits it; the
 * timeline merges both by position (attempt and offset), so every character is sent once, and the
 * heartbeat poll slows down while pushes flow. Keeps the events so far, so a late subscriber gets the
 * run from the start (or from its resume point) and then the live events.
 */
export class RunReader {
  private readonly events: RunEvent[] = [];
  private readonly subscribers = new Map<RunSubscriber, Position | undefined>();
  private readonly timeline = new RunTimeline();
  private readonly stopped = new AbortController();
  private wakeHeartbeats: (() => void) | undefined;
  /** Pushed output the timeline could not place yet, in arrival order. */
  private waitingPushes: PushedOutput[] = [];
  private pushesSincePoll = 0;
  /** Set when pending activities must be read without waiting (a push showed an unannounced attempt). */
  private pollWanted = false;
  private endPollPause: (() => void) | undefined;
  private readonly tokens: TokenChannel | undefined;
  private unsubscribeTokens: (() => void) | undefined;
  private readonly pollMs: number;
  private readonly maxPollMs: number;
  private readonly maxFailures: number;
  private readonly log: Logger | undefined;

  constructor(
    private readonly client: Client,
    private readonly runId: string,
    options: ReaderOptions,
    /** Called once when the reader has stopped (run ended, last subscriber left, or failure). */
    private readonly onStop: () => void,
  ) {
    this.pollMs = options.heartbeatPollMs ?? 150;
    this.maxPollMs = Math.max(this.pollMs, options.maxHeartbeatPollMs ?? 1_500);
    this.maxFailures = options.maxFailures ?? 8;
    this.log = options.log;
    this.tokens = options.tokens;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  start(): void {
    const { signal } = this.stopped;
    this.unsubscribeTokens = this.tokens?.subscribe(this.runId, (chunk) => this.receivePush(chunk));
    void Promise.all([this.followHistory(), this.followHeartbeats()]).catch((err: unknown) => {
      if (signal.aborted) return;
      this.log?.error({ err, run_id: this.runId }, 'run stream reader failed; ending its streams');
      this.stop();
    });
  }

  /** Replays the events after `after`, then delivers live ones until the run ends or `unsubscribe`. */
  subscribe(after: Position | undefined, subscriber: RunSubscriber): Subscription {
    for (const event of this.events) {
      const part = resumeAfter(event, after);
      if (part) subscriber.event(part);
    }
    if (this.stopped.signal.aborted) subscriber.end();
    else this.subscribers.set(subscriber, after);
    const timeline = this.timeline;
    return {
      unsubscribe: () => {
        if (!this.subscribers.delete(subscriber)) return;
        if (this.subscribers.size === 0) this.stop();
      },
      get runEnded() {
        return timeline.ended;
      },
    };
  }

  /** Stops following the run and ends every subscriber's stream (they may reconnect with Last-Event-ID). */
  stop(): void {
    if (this.stopped.signal.aborted) return;
    this.stopped.abort();
    this.unsubscribeTokens?.();
    this.wakeHeartbeats?.();
    const subscribers = [...this.subscribers.keys()];
    this.subscribers.clear();
    for (const subscriber of subscribers) subscriber.end();
    this.onStop();
  }

  private receivePush({ activityId, attempt, restart, offset, text }: TokenChunk): void {
    if (this.stopped.signal.aborted) return;
    this.pushesSincePoll += 1;
    this.waitingPushes.push({ activityId, attempt, ...(restart && { restart }), offset, text });
    // Heartbeats carry whatever is dropped here, so the oldest go first.
    if (this.waitingPushes.length > MAX_WAITING_PUSHES) this.waitingPushes.shift();
    this.deliver([]);
  }

  /** Output from the waiting pushes the timeline can place now; repeated while one placed chunk lets another follow. */
  private placePushes(): RunEvent[] {
    const events: RunEvent[] = [];
    for (let placed = true; placed && this.waitingPushes.length > 0; ) {
      placed = false;
      const still: PushedOutput[] = [];
      for (const pushed of this.waitingPushes) {
        const result = this.timeline.applyPushed(pushed);
        if (result.verdict !== 'used') still.push(pushed);
        if (result.verdict === 'ahead') this.pollSoon();
        if (result.events.length > 0) placed = true;
        events.push(...result.events);
      }
      this.waitingPushes = still;
    }
    return events;
  }

  /** Reads the pending activities now instead of after the current pause. */
  private pollSoon(): void {
    this.pollWanted = true;
    this.endPollPause?.();
  }

  /** Sends `events` (already applied to the timeline), then whatever waiting pushes they let through. */
  private deliver(events: RunEvent[]): void {
    for (const event of [...events, ...this.placePushes()]) {
      this.events.push(event);
      for (const [subscriber, after] of this.subscribers) {
        const part = resumeAfter(event, after);
        if (part) subscriber.event(part);
      }
    }
    if (this.timeline.ended) this.stop();
    else if (this.timeline.agentRunning) this.wakeHeartbeats?.();
  }

  private async followHistory(): Promise<void> {
    const { namespace, loadedDataConverter } = this.client.options;
    let nextPageToken: Uint8Array | undefined;
    while (!this.stopped.signal.aborted) {
      const response = await this.call(() =>
        this.client.workflowService.getWorkflowExecutionHistory({
          namespace,
          execution: { workflowId: this.runId },
          nextPageToken,
          // Blocks until the run has new events: no sleeping between reads of history.
          waitNewEvent: true,
          historyEventFilterType: HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT,
          skipArchival: true,
        }),
      );
      const facts = await historyFacts(loadedDataConverter, response.history?.events ?? []);
      if (this.stopped.signal.aborted) return;
      this.deliver(facts.flatMap((fact) => this.timeline.applyHistory(fact)));
      if (!response.nextPageToken?.length) {
        // The run closed and its history is read to the end.
        this.stop();
        return;
      }
      nextPageToken = response.nextPageToken;
    }
  }

  private async followHeartbeats(): Promise<void> {
    const { namespace, loadedDataConverter } = this.client.options;
    let delay = this.pollMs;
    while (!this.stopped.signal.aborted) {
      if (!this.timeline.agentRunning) {
        await new Promise<void>((resolve) => (this.wakeHeartbeats = resolve));
        this.wakeHeartbeats = undefined;
        continue;
      }
      const response = await this.call(() => this.client.workflowService.describeWorkflowExecution({ namespace, execution: { workflowId: this.runId } }));
      const facts = await pendingFacts(loadedDataConverter, response.pendingActivities ?? []);
      if (this.stopped.signal.aborted) return;
      this.deliver(this.timeline.applyPending(facts));
      delay = this.nextPollDelay(delay);
      if (!this.pollWanted) await this.pause(delay, (end) => (this.endPollPause = end));
      this.endPollPause = undefined;
      this.pollWanted = false;
    }
  }

  /**
   * Doubles the gap between heartbeat reads while pushes flow and all of them were placed (they carry
   * the output then); back to the short poll when they stop, or when one waits for a heartbeat to fill a gap.
   */
  private nextPollDelay(delay: number): number {
    const flowing = this.pushesSincePoll > 0 && this.waitingPushes.length === 0;
    this.pushesSincePoll = 0;
    return flowing ? Math.min(this.maxPollMs, delay * 2) : this.pollMs;
  }

  /** A Temporal call, cancelled when the reader stops, retried with backoff while Temporal is unreachable. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    for (let failures = 1; ; failures++) {
      try {
        return await this.abortable(fn);
      } catch (err) {
        if (this.stopped.signal.aborted || failures >= this.maxFailures || hasGrpcStatus(err, GrpcStatus.NOT_FOUND)) throw err;
        this.log?.warn({ err, run_id: this.runId, failures }, 'run stream reader: Temporal call failed; retrying');
        await this.pause(Math.min(5_000, 100 * 2 ** failures));
      }
    }
  }

  /**
   * Runs one call under its own abort signal, tied to the reader's for the call's duration only: the
   * SDK adds an abort listener per call and never removes it, so a signal shared by every poll would
   * collect one listener per heartbeat read.
   */
  private async abortable<T>(fn: () => Promise<T>): Promise<T> {
    const call = new AbortController();
    const abort = () => call.abort();
    this.stopped.signal.addEventListener('abort', abort, { once: true });
    try {
      return await this.client.connection.withAbortSignal(call.signal, fn);
    } finally {
      this.stopped.signal.removeEventListener('abort', abort);
    }
  }

  /** Waits `ms`, or less when the reader stops or `onEnd`'s function is called; never leaves a timer behind. */
  private async pause(ms: number, onEnd?: (end: () => void) => void): Promise<void> {
    const ended = new AbortController();
    onEnd?.(() => ended.abort());
    // An abort ends the wait early; that is all it means here.
    await sleep(ms, undefined, { signal: AbortSignal.any([this.stopped.signal, ended.signal]) }).catch(() => undefined);
  }
}
