// The run the page drives: started in the mode picked (stream, async + poll, or sync), or re-run from
// an agent of a past run, followed to its end (through any input step it waits at: the view shows the
// step's form), and cancelled on the server whatever the mode.
import { ChainportError, type Chainport, type RunAccepted, type RunStreamEvent } from '../../src/client/index.js';
import { describe, nextPoll, type Session } from './api.js';
import type { RunForm } from './run-form.js';
import type { RunView } from './run-view.js';
import type { RunRequest } from './snippets.js';

/** The run this page is driving: how to find it again, and its id once known. */
interface ActiveRun {
  /**
   * Sends the start (or rerun) to its async route under the run's Idempotency-Key: the first time it
   * starts the run, any later time it names the same run, so a sync run (no id until it answers) can
   * still be found and cancelled.
   */
  accept: () => Promise<RunAccepted>;
  runId: string | undefined;
}

export class Runner {
  readonly #session: Session;
  readonly #form: RunForm;
  readonly #view: RunView;
  readonly #ended: () => void;
  #active: ActiveRun | undefined;

  /** `ended` is called after each run, however it ended. */
  constructor(session: Session, form: RunForm, view: RunView, ended: () => void) {
    this.#session = session;
    this.#form = form;
    this.#view = view;
    this.#ended = ended;
  }

  /** Starts the run the form describes, unless one is going on or the input does not read. */
  async start(): Promise<void> {
    const client = this.#session.client;
    if (!client || this.#active) return;
    const request = this.#form.read();
    if (!request) return;
    const idempotencyKey = crypto.randomUUID();
    const { chainRef, input, webhook } = request;
    const run: ActiveRun = { accept: () => client.start(chainRef, input, { idempotencyKey, webhook }), runId: undefined };
    await this.#drive(client, run, this.#form.agents, async () => {
      if (request.mode === 'stream') await this.#stream(client, run, client.stream(chainRef, input, { idempotencyKey }));
      else if (request.mode === 'async') await this.#poll(client, run);
      else await this.#sync(client, run, request, idempotencyKey);
    });
  }

  /**
   * Re-runs the ended run `runId` from its agent `from` (`agents`: the run's, in order) and shows the
   * new run live: its reused agents at once, then the events of the agents that run again.
   */
  async rerun(runId: string, from: string, agents: readonly string[]): Promise<void> {
    const client = this.#session.client;
    if (!client || this.#active) return;
    const idempotencyKey = crypto.randomUUID();
    const run: ActiveRun = { accept: () => client.rerun(runId, { from }, { idempotencyKey }), runId: undefined };
    await this.#drive(client, run, agents, async () => {
      const accepted = await run.accept();
      run.runId = accepted.run_id;
      this.#view.progress(await client.get(accepted.run_id));
      await this.#stream(client, run, client.stream({ runId: accepted.run_id }));
    });
  }

  /** Shows `agents` waiting, drives the run with `go`, and shows how it went, however it ended. */
  async #drive(client: Chainport, run: ActiveRun, agents: readonly string[], go: () => Promise<void>): Promise<void> {
    this.#active = run;
    this.#form.running(true);
    this.#view.begin(agents);
    try {
      await go();
    } catch (err) {
      this.#form.showError(describe(err));
      if (err instanceof ChainportError && err.runId) this.#view.finish(await client.get(err.runId));
      else this.#view.status('error');
    } finally {
      this.#active = undefined;
      this.#form.running(false);
      this.#ended();
    }
  }

  /**
   * Cancels the run on the server. A sync run has no id until it answers: the same Idempotency-Key
   * sent to the async route names the same run (never a new one) and gives its id.
   */
  async cancel(): Promise<void> {
    const run = this.#active;
    const client = this.#session.client;
    if (!run || !client) return;
    this.#form.cancelling();
    try {
      run.runId ??= (await run.accept()).run_id;
      await client.cancel(run.runId);
      this.#view.status('cancelling…', run.runId);
      // Each mode then sees the end its own way: the sync answer, the next poll, or run.cancelled.
    } catch (err) {
      this.#form.showError(describe(err));
    }
  }

  async #stream(client: Chainport, run: ActiveRun, events: AsyncIterable<RunStreamEvent>): Promise<void> {
    for await (const event of events) {
      this.#view.apply(event);
      switch (event.event) {
        case 'run.started':
          run.runId = event.data.run_id;
          this.#view.status('running', event.data.run_id);
          break;
        // The stream stays open while the run waits: the answer sent from the form resumes it.
        case 'run.waiting':
          this.#view.waiting(run.runId!, event.data);
          break;
        case 'run.resumed':
          this.#view.resumed(run.runId!);
          break;
        case 'run.completed':
        case 'run.failed':
        case 'run.timed_out':
        case 'run.cancelled':
          // Polls of a run share a read for a moment: one right after the end may still show it open.
          return this.#follow(client, event.data.run_id);
        default:
          break;
      }
    }
  }

  async #poll(client: Chainport, run: ActiveRun): Promise<void> {
    const accepted = await run.accept();
    run.runId = accepted.run_id;
    if (accepted.webhook?.secret) this.#view.showSecret(accepted.webhook.secret);
    await this.#follow(client, accepted.run_id);
  }

  /** The sync route answers when the run ends, or (202) when it waits at an input step: then it is polled. */
  async #sync(client: Chainport, run: ActiveRun, { chainRef, input }: RunRequest, idempotencyKey: string): Promise<void> {
    const answer = await client.run(chainRef, input, { idempotencyKey });
    run.runId = answer.run_id;
    if (answer.status === 'waiting_for_input') return this.#follow(client, answer.run_id);
    this.#view.finish(answer);
  }

  /** Polls the run until it ends; while it waits for input, the view shows the step's form (once per wait). */
  async #follow(client: Chainport, runId: string): Promise<void> {
    for (;;) {
      const now = await client.get(runId);
      if (now.status !== 'running' && now.status !== 'waiting_for_input') return this.#view.finish(now);
      this.#view.progress(now);
      await nextPoll();
    }
  }
}
