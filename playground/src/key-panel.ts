// The Key section: a key pasted in (or the development key a local server offers) is checked by
// listing the chains it may run; Forget key drops it from the tab.
import type { Chain } from '../../src/client/index.js';
import { describe, localKey, type Session } from './api.js';
import { field, h } from './dom.js';

export interface KeyEvents {
  /** The key works: these are the chains it sees. */
  accepted(chains: Chain[]): void;
  forgotten(): void;
}

export class KeyPanel {
  readonly #session: Session;
  readonly #events: KeyEvents;
  readonly #input = h('input', { type: 'password', autocomplete: 'off', placeholder: 'Bearer key' });
  readonly #status = h('span', { role: 'status' });
  readonly element = h(
    'form',
    { class: 'key', onsubmit: (e) => (e.preventDefault(), this.use(this.#input.value.trim())) },
    field('API key', this.#input, 'Kept in this tab’s session storage only; sent as an Authorization header.'),
    h('div', { class: 'buttons' }, h('button', { type: 'submit' }, 'Use key'), h('button', { type: 'button', onclick: () => this.#forget() }, 'Forget key'), this.#status),
  );

  constructor(session: Session, events: KeyEvents) {
    this.#session = session;
    this.#events = events;
  }

  /** Uses the key this tab used last or, without one, the development key in local mode. */
  async restore(): Promise<void> {
    const saved = this.#session.savedKey();
    if (saved) {
      this.#input.value = saved;
      return this.use(saved);
    }
    const key = await localKey();
    if (!key) return;
    this.#input.value = key;
    await this.use(key);
    if (this.#session.client) this.#status.textContent = `Local mode: the development key is filled in. ${this.#status.textContent}`;
  }

  async use(key: string): Promise<void> {
    if (!key) return void (this.#status.textContent = 'Enter a key first.');
    let chains: Chain[];
    try {
      chains = await this.#session.use(key).chains();
    } catch (err) {
      this.#status.textContent = describe(err);
      return;
    }
    this.#status.textContent = `Key accepted: ${chains.length} chain(s).`;
    this.#events.accepted(chains);
  }

  #forget(): void {
    this.#session.forget();
    this.#input.value = '';
    this.#events.forgotten();
    this.#status.textContent = 'Key forgotten.';
  }
}
