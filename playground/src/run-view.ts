// The Run section: the status line (with the run id once known), the Temporal UI link, a generated
// webhook secret, the agents' timeline and the output of the run the page drives.
import type { Run, RunStreamEvent } from '../../src/client/index.js';
import { h } from './dom.js';
import { Timeline, money, seconds } from './timeline.js';

export class RunView {
  readonly #status = h('output', { class: 'run-status', 'aria-live': 'polite' }, 'No run yet.');
  readonly #temporalLink = h('a', { target: '_blank', rel: 'noopener', hidden: true }, 'Open in Temporal UI');
  readonly #webhookSecret = h('p', { class: 'secret', role: 'status', hidden: true });
  readonly #timeline = new Timeline();
  readonly #output = h('pre', { class: 'output', 'aria-label': 'Run output' });
  /** The section's parts, in page order. */
  readonly elements: readonly HTMLElement[] = [this.#status, this.#temporalLink, this.#webhookSecret, this.#timeline.element, this.#output];

  /** Clears the last run and shows these agents waiting. */
  begin(agents: readonly string[]): void {
    this.#temporalLink.hidden = true;
    this.#webhookSecret.hidden = true;
    this.#output.textContent = '';
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
    this.status(`running${run.progress?.current_agent ? ` (${run.progress.current_agent})` : ''} · ${money(run.cost)} · ${seconds(run.duration_ms)}`, run.run_id);
  }

  /** The run as it ended: status, cost, time, output (or error) and its Temporal UI link. */
  finish(run: Run): void {
    this.#timeline.applyRun(run);
    this.status(`${run.status} · ${money(run.cost)} · ${seconds(run.duration_ms)}`, run.run_id);
    this.#output.textContent = run.output !== undefined ? (typeof run.output === 'string' ? run.output : JSON.stringify(run.output, null, 2)) : run.error ? `${run.error.code}: ${run.error.detail}` : '';
    if (run.temporal_ui_url) {
      this.#temporalLink.href = run.temporal_ui_url;
      this.#temporalLink.hidden = false;
    }
  }
}
