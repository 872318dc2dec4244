// The run as a timeline of agents: each with its status, live tokens, attempts and retries, cost and
// duration, fed by stream events or by the agents list of a polled run. An input step shows as waiting
// for input while the run waits at it, and who answered it once it did; a rerun's reused agents show
// as reused, with what they cost in the original run.
import type { Run, RunAgent, RunStreamEvent } from '../../src/client/index.js';
import { h } from './dom.js';

interface AgentRow {
  item: HTMLLIElement;
  status: HTMLElement;
  meta: HTMLElement;
  retries: HTMLUListElement;
  tokens: HTMLPreElement;
}

const WAITING_FOR_INPUT = 'waiting for input';
const money = (usd: number) => `$${usd.toFixed(4)}`;
const seconds = (ms: number | null | undefined) => (ms === null || ms === undefined ? '' : `${(ms / 1000).toFixed(1)} s`);

export class Timeline {
  readonly element = h('ol', { class: 'timeline', 'aria-label': 'Agents' });
  readonly #rows = new Map<string, AgentRow>();

  /** Starts over with the chain's agents, all waiting. */
  reset(agents: readonly string[]): void {
    this.#rows.clear();
    this.element.replaceChildren(...agents.map((name) => this.#row(name).item));
  }

  /** Applies one stream event. */
  apply(event: RunStreamEvent): void {
    switch (event.event) {
      case 'agent.started':
        this.#set(event.data.agent, 'running');
        break;
      case 'agent.output':
        this.#row(event.data.agent).tokens.append(event.data.chunk);
        break;
      case 'agent.retrying': {
        const row = this.#row(event.data.agent);
        // A new attempt starts over: its output replaces the partial one.
        row.tokens.textContent = '';
        row.retries.append(h('li', {}, `attempt ${event.data.attempt}: ${event.data.error}`));
        this.#set(event.data.agent, `retrying (attempt ${event.data.attempt})`);
        break;
      }
      case 'agent.completed':
        this.#set(event.data.agent, 'completed');
        this.#row(event.data.agent).meta.textContent = `${event.data.attempts} attempt(s) · ${money(event.data.cost)} · ${seconds(event.data.duration_ms)}`;
        break;
      // An input step has no agent.* events: the run's waiting and resuming are its start and end.
      case 'run.waiting':
        this.#set(event.data.step, WAITING_FOR_INPUT, 'input');
        break;
      case 'run.resumed':
        this.#set(event.data.step, 'completed');
        this.#row(event.data.step).meta.textContent = `answered by ${event.data.answered_by}`;
        break;
      default:
        break;
    }
  }

  /** Applies a polled run's agents (status, attempts, cost, duration; no tokens). */
  applyRun(run: Run): void {
    for (const agent of run.agents) {
      // The API's `waiting` is an input step's; a step not reached yet is `pending` there.
      if (agent.status === 'waiting') this.#set(agent.name, WAITING_FOR_INPUT, 'input');
      else this.#set(agent.name, agent.status);
      this.#row(agent.name).meta.textContent = agentMeta(agent);
    }
  }

  /** `dataStatus` defaults to the status's first word; the rows not reached yet already say `waiting`. */
  #set(agent: string, status: string, dataStatus = status.split(' ')[0]): void {
    const row = this.#row(agent);
    row.status.textContent = status;
    row.item.dataset.status = dataStatus;
  }

  #row(name: string): AgentRow {
    let row = this.#rows.get(name);
    if (!row) {
      const status = h('span', { class: 'status' }, 'waiting');
      const meta = h('span', { class: 'meta' });
      const retries = h('ul', { class: 'retries', 'aria-label': `${name} retries` });
      const tokens = h('pre', { class: 'tokens', 'aria-label': `${name} output`, 'aria-live': 'off' });
      const item = h('li', { class: 'agent', 'data-agent': name, 'data-status': 'waiting' }, h('div', { class: 'agent-head' }, h('strong', {}, name), status, meta), retries, tokens);
      row = { item, status, meta, retries, tokens };
      this.#rows.set(name, row);
      this.element.append(item);
    }
    return row;
  }
}

/** An agent's attempts, cost and duration, who answered an input step, and what a reused agent cost in the run it came from. */
function agentMeta(agent: RunAgent): string {
  const answered = agent.answered_by ? ` · answered by ${agent.answered_by}` : '';
  const reused = agent.reused_cost === undefined ? '' : ` · reused (${money(agent.reused_cost)} in the original run)`;
  return `${agent.attempts} attempt(s) · ${money(agent.cost)}${agent.duration_ms === null ? '' : ` · ${seconds(agent.duration_ms)}`}${answered}${reused}`;
}

export { money, seconds };
