// The terminal view of a streamed run: one live line per agent (spinner or status, attempts,
// duration, cost), the running agent's latest tokens, an overall progress bar, and a summary at the
// end. log-update redraws the block in place; picocolors colours it; cli-spinners gives the frames.
import { stripVTControlCharacters } from 'node:util';
import cliSpinners from 'cli-spinners';
import { createLogUpdate } from 'log-update';
import pc from 'picocolors';
import type { RunStreamEvent } from '../client/index.js';
import { formatCost, formatDuration } from './context.js';
import { terminalSafe } from './terminal-text.js';

type AgentStatus = 'running' | 'retrying' | 'waiting' | 'completed' | 'failed' | 'reused';

interface AgentLine {
  name: string;
  status: AgentStatus;
  attempts: number;
  startedAt: number;
  durationMs?: number;
  cost?: number;
  /** The current attempt's output so far. */
  text: string;
}

const SPINNER = cliSpinners.dots;
const BAR_WIDTH = 20;

/** Draws a run's events in a terminal; `finish` leaves the last frame and the summary on screen. */
export class StreamView {
  readonly #log;
  readonly #columns: () => number;
  readonly #agents: AgentLine[] = [];
  #runId = '';
  #chain = '';
  #total = 0;
  #frame = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(stream: NodeJS.WriteStream = process.stdout) {
    this.#log = createLogUpdate(stream, { showCursor: false });
    this.#columns = () => stream.columns || 100;
  }

  /** Stops redrawing so the terminal can ask a question; `resume` redraws again. */
  pause(): void {
    clearInterval(this.#timer);
    this.#log.done();
  }

  resume(): void {
    this.start();
  }

  start(): void {
    this.#timer = setInterval(() => {
      this.#frame = (this.#frame + 1) % SPINNER.frames.length;
      this.#draw();
    }, SPINNER.interval);
  }

  update(event: RunStreamEvent): void {
    const agent = 'index' in event.data ? this.#agents[event.data.index] : undefined;
    switch (event.event) {
      case 'run.started':
        this.#runId = event.data.run_id;
        this.#chain = `${event.data.chain}@${event.data.chain_version}`;
        this.#total = event.data.agents_total;
        // A rerun's first agents are not run (their outputs come from the original run): shown done, with what they cost there.
        for (const { agent: name, index, reused_cost: cost } of event.data.reused ?? []) {
          this.#agents[index] = { name, status: 'reused', attempts: 0, startedAt: Date.now(), durationMs: 0, cost, text: '' };
        }
        break;
      case 'agent.started':
        this.#agents[event.data.index] = { name: event.data.agent, status: 'running', attempts: 1, startedAt: Date.now(), text: '' };
        break;
      case 'agent.output':
        if (agent) agent.text += event.data.chunk;
        break;
      case 'agent.retrying':
        if (agent) Object.assign(agent, { status: 'retrying', attempts: event.data.attempt, text: '' });
        break;
      case 'agent.completed':
        if (agent) Object.assign(agent, { status: 'completed', attempts: event.data.attempts, durationMs: event.data.duration_ms, cost: event.data.cost });
        break;
      case 'run.waiting':
        // An input step: its line shows the prompt until the run goes on.
        this.#agents[event.data.index] = { name: event.data.step, status: 'waiting', attempts: 1, startedAt: Date.now(), text: event.data.prompt };
        break;
      case 'run.resumed':
        if (agent) Object.assign(agent, { status: 'completed', durationMs: Date.now() - agent.startedAt, text: '' });
        break;
      default: {
        // A terminal run.* event: an agent still running did not finish.
        const failed = event.event === 'run.completed' ? undefined : event.data.error.agent;
        for (const a of this.#agents) if (a && a.status !== 'completed' && a.status !== 'reused' && (failed === undefined || a.name === failed)) a.status = 'failed';
      }
    }
    this.#draw();
  }

  /** Stops redrawing and keeps what is on screen; with the run's last event, adds the summary. */
  finish(last?: RunStreamEvent): void {
    clearInterval(this.#timer);
    // Before the first event there is nothing worth keeping on screen.
    if (this.#runId) this.#draw();
    else this.#log.clear();
    this.#log.done();
    if (last) process.stdout.write(`${summary(last)}\n`);
  }

  #draw(): void {
    const width = this.#columns();
    const done = this.#agents.filter((a) => a?.status === 'completed' || a?.status === 'reused').length;
    const lines = [`${pc.bold(this.#chain || 'starting…')} ${pc.dim(this.#runId)}  ${progressBar(done, this.#total)} ${done}/${this.#total || '?'} agents`];
    for (const agent of this.#agents) {
      if (!agent) continue;
      lines.push(truncate(this.#agentLine(agent), width));
      if (agent.status === 'running' || agent.status === 'retrying' || agent.status === 'waiting') {
        const tail = terminalSafe(agent.text).replace(/\s+/g, ' ').slice(-(width - 6));
        if (tail) lines.push(pc.dim(`    ${tail}`));
      }
    }
    this.#log(lines.join('\n'));
  }

  #agentLine(agent: AgentLine): string {
    const icon = { running: pc.cyan(SPINNER.frames[this.#frame] ?? '*'), retrying: pc.yellow(SPINNER.frames[this.#frame] ?? '*'), waiting: pc.magenta('?'), completed: pc.green('✔'), failed: pc.red('✖'), reused: pc.dim('↺') }[agent.status];
    const status = { running: pc.cyan, retrying: pc.yellow, waiting: pc.magenta, completed: pc.green, failed: pc.red, reused: pc.dim }[agent.status](agent.status.padEnd(9));
    if (agent.status === 'reused') return `  ${icon} ${agent.name.padEnd(16)} ${status} ${pc.dim(`from the original run, which paid ${formatCost(agent.cost ?? 0)}`)}`;
    const duration = formatDuration(agent.durationMs ?? Date.now() - agent.startedAt);
    const cost = agent.cost === undefined ? '' : `  ${formatCost(agent.cost)}`;
    return `  ${icon} ${agent.name.padEnd(16)} ${status} attempt ${agent.attempts}  ${duration}${cost}`;
  }
}

/** The last line: how the run ended, its id, duration and cost (and the failing agent). */
export function summary(last: RunStreamEvent): string {
  if (last.event === 'run.completed') {
    return `${pc.green('✔ completed')} ${last.data.run_id} in ${formatDuration(last.data.duration_ms)}, cost ${formatCost(last.data.cost)}`;
  }
  if (last.event === 'run.failed' || last.event === 'run.timed_out' || last.event === 'run.cancelled') {
    const status = last.event.slice('run.'.length);
    const agent = last.data.error.agent ? ` at agent ${last.data.error.agent}` : '';
    return `${pc.red(`✖ ${status}`)} ${last.data.run_id}${agent} after ${formatDuration(last.data.duration_ms)}, cost ${formatCost(last.data.cost)}: ${last.data.error.code}: ${terminalSafe(last.data.error.message)}`;
  }
  return '';
}

/** How much of `total` is done, as a bar of fixed width; empty while the total is unknown (0). */
export function progressBar(done: number, total: number): string {
  const filled = total ? Math.round((Math.min(done, total) / total) * BAR_WIDTH) : 0;
  return pc.green('█'.repeat(filled)) + pc.dim('░'.repeat(BAR_WIDTH - filled));
}

function truncate(line: string, width: number): string {
  // Coloured text is longer than what shows; cut only lines whose visible part is too wide.
  const visible = stripVTControlCharacters(line);
  return visible.length <= width ? line : `${visible.slice(0, width - 1)}…`;
}
