// One past run: its agents, its Temporal UI link and its webhook deliveries, where a failed delivery
// can be sent again and followed until its new attempt ends. A run waiting at an input step shows the
// step's prompt and answer form; once answered, the run is followed until it ends or waits again. An
// ended run offers to re-run it from each agent whose earlier agents all finished.
import type { Delivery, Run, RunAgent } from '../../src/client/index.js';
import { describe, nextPoll, type Session } from './api.js';
import { h } from './dom.js';
import { answerForm } from './input-form.js';
import { money, seconds } from './timeline.js';

/** How many polls the page follows a redelivery for (its retries may take longer; Refresh runs shows them). */
const REDELIVERY_POLLS = 60;
/** How many polls the page follows an answered run for (a longer one: click it again). */
const ANSWERED_POLLS = 300;
/** The agent statuses a rerun can take an output from. */
const FINISHED: ReadonlySet<RunAgent['status']> = new Set(['completed', 'reused']);

/** What the page does with a "Re-run from here": re-run `runId` from `from` and show the new run live. */
export type Rerun = (runId: string, from: string, agents: readonly string[]) => void;

export class RunDetail {
  readonly #session: Session;
  readonly #rerun: Rerun;
  readonly element = h('div', { class: 'run-detail' });
  /** The run shown: a run followed after an answer stops being followed when another is opened. */
  #runId: string | undefined;

  constructor(session: Session, rerun: Rerun) {
    this.#session = session;
    this.#rerun = rerun;
  }

  /** Shows a past run and its deliveries; answers the deliveries (none when it could not load them). */
  async show(runId: string): Promise<Delivery[]> {
    return (await this.#load(runId))?.deliveries ?? [];
  }

  /** Shows the run and answers it with its deliveries, or undefined (the error shown) when it could not load them. */
  async #load(runId: string): Promise<{ run: Run; deliveries: Delivery[] } | undefined> {
    const client = this.#session.client;
    if (!client) return undefined;
    this.#runId = runId;
    try {
      const [run, deliveries] = await Promise.all([client.get(runId), client.deliveries(runId)]);
      const link = run.temporal_ui_url ? [h('a', { href: run.temporal_ui_url, target: '_blank', rel: 'noopener' }, 'Open in Temporal UI')] : [];
      const waiting = run.status === 'waiting_for_input' && run.input_request;
      this.element.replaceChildren(
        h('h3', {}, runId),
        h('p', {}, `${run.chain}@${run.chain_version} · ${run.status} · ${money(run.cost)} · ${seconds(run.duration_ms)}`),
        ...link,
        h('ul', {}, ...run.agents.map((a, index) => h('li', {}, `${a.name}: ${a.status}, ${a.attempts} attempt(s), ${money(a.cost)}, ${seconds(a.duration_ms)}${a.answered_by ? `, answered by ${a.answered_by}` : ''}${a.reused_cost === undefined ? '' : `, reused (${money(a.reused_cost)} in the original run)`} `, this.#rerunButton(run, index)))),
        ...(waiting ? [answerForm(this.#session, runId, waiting, () => void this.#follow(runId))] : []),
        ...(run.output !== undefined ? [h('pre', { class: 'output', 'aria-label': 'Past run output' }, typeof run.output === 'string' ? run.output : JSON.stringify(run.output, null, 2))] : []),
        h('h4', {}, 'Webhook deliveries'),
        deliveries.length ? h('ul', {}, ...deliveries.map((d) => this.#delivery(runId, d))) : h('p', {}, 'No webhook deliveries.'),
      );
      return { run, deliveries };
    } catch (err) {
      this.element.textContent = describe(err);
      return undefined;
    }
  }

  /** After an answer: shows the run again each poll until it ends or waits at its next step (or another run is opened). */
  async #follow(runId: string): Promise<void> {
    for (let polls = 0; polls < ANSWERED_POLLS && this.#runId === runId; polls++) {
      const now = await this.#load(runId);
      if (!now || now.run.status !== 'running') return;
      await nextPoll();
    }
  }

  /** "Re-run from here" on an ended run's agent, when every agent before it finished (a rerun reuses their outputs). */
  #rerunButton(run: Run, index: number): HTMLButtonElement | null {
    const ended = run.status !== 'running' && run.status !== 'waiting_for_input';
    if (!ended || !run.agents.slice(0, index).every((a) => FINISHED.has(a.status))) return null;
    const agent = run.agents[index]!.name;
    const agents = run.agents.map((a) => a.name);
    return h('button', { type: 'button', 'aria-label': `Re-run from ${agent}`, onclick: () => this.#rerun(run.run_id, agent, agents) }, 'Re-run from here');
  }

  #delivery(runId: string, d: Delivery): HTMLLIElement {
    return h(
      'li',
      { class: 'delivery', 'data-status': d.status },
      `${d.event} → ${d.url}: ${d.status} (${d.attempts.length} attempt(s)${d.attempts.at(-1)?.error ? `, last: ${d.attempts.at(-1)!.error}` : ''}) `,
      d.status === 'failed' ? h('button', { type: 'button', onclick: () => void this.#redeliver(runId, d) }, `Redeliver ${d.event}`) : null,
    );
  }

  /** Sends a failed delivery again, then follows it until its new attempt(s) end delivered or failed. */
  async #redeliver(runId: string, delivery: Delivery): Promise<void> {
    const client = this.#session.client;
    if (!client) return;
    try {
      await client.redeliver(runId, delivery.delivery_id);
    } catch (err) {
      this.element.prepend(h('p', { role: 'alert' }, describe(err)));
      return;
    }
    for (let polls = 0; polls < REDELIVERY_POLLS; polls++) {
      const now = (await this.show(runId)).find((d) => d.delivery_id === delivery.delivery_id);
      // The delivery takes the request as a signal: until it records a new attempt, it may still say failed.
      if (!now || (now.status !== 'pending' && now.attempts.length > delivery.attempts.length)) return;
      await nextPoll();
    }
  }
}
