// The run the page drives: started in the mode picked (stream, async + poll, or sync), followed to
// its end (through any input step it waits at: the view shows the step's form), and cancelled on the
// server whatever the mode.
import { ChainportError, type Chainport } from '../../src/client/index.js';
import { describe, nextPoll, type Session } from './api.js';
import type { RunForm } from './run-form.js';
import type { RunView } from './run-view.js';
import type { RunRequest } from './snippets.js';

/** The run this page is driving: the request as sent (to find the run again) and its id once known. */
interface ActiveRun extends RunRequest {
  /** Sent with every start, so a sync run (no id until it answers) can still be found and cancelled. */
  idempotencyKey: string;
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
    const run: ActiveRun = { ...request, idempotencyKey: crypto.randomUUID(), runId: undefined };
    this.#active = run;
    this.#form.running(true);
    this.#view.begin(this.#form.agents);
    try {
      if (run.mode === 'stream') await this.#stream(client, run);
      else if (run.mode === 'async') await this.#poll(client, run);
      else await this.#sync(client, run);
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
      run.runId ??= (await client.start(run.chainRef, run.input, { idempotencyKey: run.idempotencyKey, webhook: run.webhook })).run_id;
      await client.cancel(run.runId);
      this.#view.status('cancelling…', run.runId);
      // Each mode then sees the end its own way: the sync answer, the next poll, or run.cancelled.
    } catch (err) {
      this.#form.showError(describe(err));
    }
  }

  async #stream(client: Chainport, run: ActiveRun): Promise<void> {
    for await (const event of client.stream(run.chainRef, run.input, { idempotencyKey: run.idempotencyKey })) {
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
    const accepted = await client.start(run.chainRef, run.input, { idempotencyKey: run.idempotencyKey, webhook: run.webhook });
    run.runId = accepted.run_id;
    if (accepted.webhook?.secret) this.#view.showSecret(accepted.webhook.secret);
    await this.#follow(client, accepted.run_id);
  }

  /** The sync route answers when the run ends, or (202) when it waits at an input step: then it is polled. */
  async #sync(client: Chainport, run: ActiveRun): Promise<void> {
    const answer = await client.run(run.chainRef, run.input, { idempotencyKey: run.idempotencyKey });
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
