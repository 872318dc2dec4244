// The Run a chain form: the chain picker, the mode, the webhook (async only), Run and Cancel, and the
// errors of the last attempt. It reads the request; the Runner sends it.
import type { Chain } from '../../src/client/index.js';
import type { Session } from './api.js';
import { ChainPicker } from './chain-picker.js';
import { field, h } from './dom.js';
import type { Mode, RunRequest } from './snippets.js';

const MODE_LABELS: Record<Mode, string> = { stream: 'Stream (SSE)', async: 'Async + poll', sync: 'Sync' };

export interface RunFormEvents {
  run(): void;
  cancel(): void;
  /** The request as it stands changed (chain, version, input, mode or webhook); the input is `{}` while it does not read. */
  changed(draft: RunRequest): void;
}

export class RunForm {
  readonly #events: RunFormEvents;
  readonly #picker: ChainPicker;
  // The API takes a webhook on the async route (and on the stream route only with a secret of your own).
  readonly #webhookUrl = h('input', { type: 'url', autocomplete: 'off', placeholder: 'https://example.com/hooks', disabled: true });
  readonly #runButton = h('button', { type: 'submit', disabled: true }, 'Run');
  readonly #cancelButton = h('button', { type: 'button', disabled: true, onclick: () => this.#events.cancel() }, 'Cancel');
  readonly #errors = h('div', { class: 'errors', role: 'alert' });
  readonly element: HTMLFormElement;

  constructor(session: Session, events: RunFormEvents) {
    this.#events = events;
    this.#picker = new ChainPicker(session, { changed: () => this.#changed(), failed: (message) => this.showError(message) });
    const modes = (['stream', 'async', 'sync'] as const).map((mode) =>
      h('label', { class: 'radio' }, h('input', { type: 'radio', name: 'mode', value: mode, checked: mode === 'stream', onchange: () => this.#showMode() }), ` ${MODE_LABELS[mode]}`),
    );
    this.element = h(
      'form',
      { class: 'run', novalidate: true, onsubmit: (e) => (e.preventDefault(), this.#events.run()), oninput: () => this.#changed(), hidden: true },
      ...this.#picker.elements,
      h('fieldset', { class: 'modes' }, h('legend', {}, 'Mode'), ...modes),
      field('Webhook URL (async + poll)', this.#webhookUrl, 'Optional. Signed with a secret the server generates and shows once.'),
      h('div', { class: 'buttons' }, this.#runButton, this.#cancelButton),
      this.#errors,
    );
  }

  /** The agents of the chain version picked, in order. */
  get agents(): readonly string[] {
    return this.#picker.agents;
  }

  /** Shows the form with the chains the key sees. */
  open(chains: Chain[]): void {
    this.element.hidden = false;
    this.#runButton.disabled = false;
    this.#picker.setChains(chains);
  }

  close(): void {
    this.element.hidden = true;
  }

  /**
   * The run as filled in, clearing the last errors. Undefined before a chain is shown, or when the input
   * fails its schema — then the form lists why, and nothing is sent.
   */
  read(): RunRequest | undefined {
    const read = this.#picker.form?.read();
    if (!read) return undefined;
    if ('errors' in read) {
      this.#errors.replaceChildren(h('ul', {}, ...read.errors.map((e) => h('li', {}, e))));
      return undefined;
    }
    this.#errors.textContent = '';
    return { mode: this.#mode(), chainRef: this.#picker.chainRef, input: read.input, webhook: this.#webhook() };
  }

  /** While a run goes on, Run is off and Cancel on; afterwards the other way round. */
  running(on: boolean): void {
    this.#runButton.disabled = on;
    this.#cancelButton.disabled = !on;
  }

  /** Cancel is asked for: once is enough. */
  cancelling(): void {
    this.#cancelButton.disabled = true;
  }

  showError(message: string): void {
    this.#errors.textContent = message;
  }

  #mode(): Mode {
    return (this.element.querySelector<HTMLInputElement>('input[name=mode]:checked')?.value ?? 'stream') as Mode;
  }

  /** The webhook to send: only in async mode, only when a URL is given. */
  #webhook(): { url: string } | undefined {
    const url = this.#webhookUrl.value.trim();
    return this.#mode() === 'async' && url ? { url } : undefined;
  }

  #showMode(): void {
    this.#webhookUrl.disabled = this.#mode() !== 'async';
    this.#changed();
  }

  #changed(): void {
    const read = this.#picker.form?.read();
    this.#events.changed({ chainRef: this.#picker.chainRef, input: read && 'input' in read ? read.input : {}, mode: this.#mode(), webhook: this.#webhook() });
  }
}
