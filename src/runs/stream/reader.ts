import { isGrpcServiceError, type Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { Logger } from '../../logger.js';
import type { RunEvent } from './events.js';
import { historyFacts, pendingFacts } from './facts.js';
import type { Position } from './ids.js';
import { resumeAfter } from './resume.js';
import { RunTimeline } from './timeline.js';

const { HistoryEventFilterType } = proto.temporal.api.enums.v1;
const GRPC_NOT_FOUND = 5;

export interface ReaderOptions {
  /** How often a running agent's heartbeats are read (only while an agent runs). */
  heartbeatPollMs?: number;
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

/**
 * Follows one run for every subscriber watching it from this process: a long-poll of the workflow
 * history for lifecycle events and, only while an agent runs, a short poll of the pending activity's
 * heartbeats for its output. Keeps the events so far, so a late subscriber gets the run from the start
 * (or from its resume point) and then the live events.
 */
export class RunReader {
  private readonly events: RunEvent[] = [];
  private readonly subscribers = new Map<RunSubscriber, Position | undefined>();
  private readonly timeline = new RunTimeline();
  private readonly stopped = new AbortController();
  private wakeHeartbeats: (() => void) | undefined;
  private readonly pollMs: number;
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
    this.maxFailures = options.maxFailures ?? 8;
    this.log = options.log;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  start(): void {
    const { signal } = this.stopped;
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
    this.wakeHeartbeats?.();
    const subscribers = [...this.subscribers.keys()];
    this.subscribers.clear();
    for (const subscriber of subscribers) subscriber.end();
    this.onStop();
  }

  private deliver(events: RunEvent[]): void {
    for (const event of events) {
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
      await this.pause(this.pollMs);
    }
  }

  /** A Temporal call, cancelled when the reader stops, retried with backoff while Temporal is unreachable. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    for (let failures = 1; ; failures++) {
      try {
        return await this.abortable(fn);
      } catch (err) {
        if (this.stopped.signal.aborted || failures >= this.maxFailures || (isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND)) throw err;
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

  /** Waits `ms`, or less when the reader stops; never leaves a timer behind. */
  private pause(ms: number): Promise<void> {
    const { signal } = this.stopped;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
