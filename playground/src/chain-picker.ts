// The chain and version to run, and the input form made from that version's input schema.
import type { Chain } from '../../src/client/index.js';
import { describe, type Session } from './api.js';
import { field, h } from './dom.js';
import { schemaForm, type InputForm, type JsonSchema } from './form.js';

export interface PickerEvents {
  /** Another chain or version is shown: its form replaced the last one. */
  changed(): void;
  failed(message: string): void;
}

export class ChainPicker {
  readonly #session: Session;
  readonly #events: PickerEvents;
  readonly #chain = h('select', { onchange: () => this.#showChain() });
  readonly #version = h('select', { onchange: () => void this.#loadVersion() });
  readonly #description = h('p', { class: 'description' });
  readonly #formSlot = h('div');
  #chains: Chain[] = [];
  #form: InputForm | undefined;
  #agents: string[] = [];
  /** The picker's parts, in the order the run form shows them. */
  readonly elements: readonly HTMLElement[] = [h('div', { class: 'row' }, field('Chain', this.#chain), field('Version', this.#version)), this.#description, this.#formSlot];

  constructor(session: Session, events: PickerEvents) {
    this.#session = session;
    this.#events = events;
  }

  /** The input form of the version shown, once a chain is. */
  get form(): InputForm | undefined {
    return this.#form;
  }

  /** The agents of the version shown, in order. */
  get agents(): readonly string[] {
    return this.#agents;
  }

  /** `name@version` as picked. */
  get chainRef(): string {
    return `${this.#chain.value}@${this.#version.value}`;
  }

  /** Offers these chains (unavailable ones disabled) and shows the first. */
  setChains(chains: Chain[]): void {
    this.#chains = chains;
    this.#chain.replaceChildren(...chains.map((c) => h('option', { value: c.name, disabled: !c.available }, `${c.name}${c.available ? '' : ' (unavailable)'}`)));
    this.#showChain();
  }

  #selected(): Chain | undefined {
    return this.#chains.find((c) => c.name === this.#chain.value);
  }

  #showChain(): void {
    const chain = this.#selected();
    if (!chain) return;
    this.#version.replaceChildren(...[...chain.versions].sort((a, b) => b - a).map((v) => h('option', { value: String(v), selected: v === chain.version }, `v${v}`)));
    this.#showDetail(chain);
  }

  /** Another version may have another input schema and agents: ask for that version. */
  async #loadVersion(): Promise<void> {
    const client = this.#session.client;
    if (!this.#selected() || !client) return;
    try {
      this.#showDetail(await client.chain(this.chainRef));
    } catch (err) {
      this.#events.failed(describe(err));
    }
  }

  #showDetail(chain: Chain): void {
    this.#description.textContent = chain.description;
    this.#agents = chain.agents;
    this.#form = schemaForm(chain.input_schema as JsonSchema);
    this.#formSlot.replaceChildren(this.#form.element);
    this.#events.changed();
  }
}
