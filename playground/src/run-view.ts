// The Run section: the status line (with the run id once known), the Temporal UI link, a generated
// webhook secret, the agents' timeline, the answer form while the run waits at an input step, and the
// output of the run the page drives.
import type { Run, RunStreamEvent } from '../../src/client/index.js';
import type { Session } from './api.js';
import { h } from './dom.js';
import { answerForm, type InputRequest } from './input-form.js';
import { Timeline, money, seconds } from './timeline.js';

export class RunView {
  readonly #session: Session;
  readonly #status = h('output', { class: 'run-status', 'aria-live': 'polite' }, 'No run yet.');
  readonly #temporalLink = h('a', { target: '_blank', rel: 'noopener', hidden: true }, 'Open in Temporal UI');
  readonly #webhookSecret = h('p', { class: 'secret', role: 'status', hidden: true });
  readonly #timeline = new Timeline();
  readonly #answer = h('div', { class: 'answer-slot' });
  readonly #output = h('pre', { class: 'output', 'aria-label': 'Run output' });
  /** The section's parts, in page order. */
  readonly elements: readonly HTMLElement[] = [this.#status, this.#temporalLink, this.#webhookSecret, this.#timeline.element, this.#answer, this.#output];
  /** The wait whose form is shown (`run/step`): each poll of the same wait keeps it, and what is typed in it. */
  #asking: string | undefined;

  constructor(session: Session) {
    this.#session = session;
  }

  /** Clears the last run and shows these agents waiting. */
  begin(agents: readonly string[]): void {
    this.#temporalLink.hidden = true;
    this.#webhookSecret.hidden = true;
    this.#output.textContent = '';
    this.#closeAnswer();
    this.#timeline.reset(agents);
    this.status('running');
  }

  /** The status line; its first word is also its `data-status`. */
  status(text: string, runId?: string): void {
    this.#status.textContent = runId ? `${runId}: ${text}` : text;
    this.#status.dataset.status = text.split(' ')[0];
  }

  /** A secret the server generated for the run's webhook: it is shown this once. */
  showSecret(secret: string): void {
    this.#webhookSecret.textContent = `Webhook secret (shown once): ${secret}`;
    this.#webhookSecret.hidden = false;
  }

  /** One stream event. */
  apply(event: RunStreamEvent): void {
    this.#timeline.apply(event);
  }

  /** A poll of a run still going: its agents, the one running, cost and time so far. */
  progress(run: Run): void {
    this.#timeline.applyRun(run);
    if (run.status === 'waiting_for_input' && run.input_request) return this.waiting(run.run_id, run.input_request, ` · ${money(run.cost)} · ${seconds(run.duration_ms)}`);
    // Going again: answered here, or elsewhere (another tab, a respond_url).
    this.#closeAnswer();
    this.status(`running${run.progress?.current_agent ? ` (${run.progress.current_agent})` : ''} · ${money(run.cost)} · ${seconds(run.duration_ms)}`, run.run_id);
  }

  /** The run waits at an input step (a `run.waiting` event or a poll): its prompt and answer form show until it goes on. */
  waiting(runId: string, request: InputRequest, detail = ''): void {
    this.status(`waiting_for_input (${request.step})${detail}`, runId);
    const wait = `${runId}/${request.step}`;
    if (this.#asking === wait) return;
    this.#asking = wait;
    this.#answer.replaceChildren(answerForm(this.#session, runId, request, () => this.resumed(runId)));
  }

  /** The run went on past its input step, answered here or elsewhere (`run.resumed`): the form goes. */
  resumed(runId: string): void {
    if (this.#asking === undefined) return;
    this.#closeAnswer();
    this.status('running', runId);
  }

  /** The run as it ended: status, cost, time, output (or error) and its Temporal UI link. */
  finish(run: Run): void {
    this.#closeAnswer();
    this.#timeline.applyRun(run);
    this.status(`${run.status} · ${money(run.cost)} · ${seconds(run.duration_ms)}`, run.run_id);
    this.#output.textContent = run.output !== undefined ? (typeof run.output === 'string' ? run.output : JSON.stringify(run.output, null, 2)) : run.error ? `${run.error.code}: ${run.error.detail}` : '';
    if (run.temporal_ui_url) {
      this.#temporalLink.href = run.temporal_ui_url;
      this.#temporalLink.hidden = false;
    }
  }

  #closeAnswer(): void {
    this.#asking = undefined;
    this.#answer.replaceChildren();
  }
}
