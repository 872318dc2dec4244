// The Past runs section: the caller's latest runs, newest first, each opening its detail below.
import { describe, type Session } from './api.js';
import { h } from './dom.js';
import { RunDetail, type Rerun } from './run-detail.js';

/** How many runs the list shows. */
const LIMIT = 20;

export class PastRuns {
  readonly #session: Session;
  readonly #list = h('ul', { class: 'runs', 'aria-label': 'Past runs' });
  readonly #detail: RunDetail;
  /** The section's parts, in page order. */
  readonly elements: readonly HTMLElement[];

  /** `rerun` is what a past run's "Re-run from here" does. */
  constructor(session: Session, rerun: Rerun) {
    this.#session = session;
    this.#detail = new RunDetail(session, rerun);
    this.elements = [h('button', { type: 'button', onclick: () => void this.load() }, 'Refresh runs'), this.#list, this.#detail.element];
  }

  /** Lists the latest runs again; a failure to list shows in their place. */
  async load(): Promise<void> {
    const client = this.#session.client;
    if (!client) return;
    try {
      const page = await client.list({ limit: LIMIT }).next();
      const runs = page.value?.data ?? [];
      this.#list.replaceChildren(
        ...runs.map((r) =>
          h(
            'li',
            {},
            h('button', { type: 'button', class: 'link', onclick: () => void this.#detail.show(r.run_id) }, `${r.chain}@${r.chain_version}`),
            ` ${r.status} · ${new Date(r.created_at).toLocaleString()} · `,
            h('span', { class: 'mono' }, r.run_id),
          ),
        ),
      );
      if (!runs.length) this.#list.replaceChildren(h('li', {}, 'No runs yet.'));
    } catch (err) {
      this.#list.replaceChildren(h('li', {}, describe(err)));
    }
  }
}
