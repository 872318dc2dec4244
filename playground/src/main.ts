// The playground: pick a chain, fill its input, run it (sync, async + poll, or stream), watch the
// agents, answer the input steps it waits at, cancel, copy the request, browse past runs and their
// webhook deliveries, and re-run a past run from one of its agents. Every call goes through
// chainport/client with the key as a Bearer header; the key lives in sessionStorage only.
// This module only lays out the sections and connects them; each section is its own module.
import { Session } from './api.js';
import { h } from './dom.js';
import { KeyPanel } from './key-panel.js';
import { PastRuns } from './past-runs.js';
import { RequestPanel } from './request-panel.js';
import { RunForm } from './run-form.js';
import { RunView } from './run-view.js';
import { Runner } from './runner.js';
import './style.css';

const session = new Session();
const view = new RunView(session);
const request = new RequestPanel();
const pastRuns = new PastRuns(session, (runId, from, agents) => void runner.rerun(runId, from, agents));
const form = new RunForm(session, { run: () => void runner.start(), cancel: () => void runner.cancel(), changed: (draft) => request.show(draft) });
const runner = new Runner(session, form, view, () => void pastRuns.load());
const key = new KeyPanel(session, {
  accepted: (chains) => {
    form.open(chains);
    void pastRuns.load();
  },
  forgotten: () => form.close(),
});

/** A page section headed by `title`, named by that heading. */
function section(id: string, title: string, ...children: HTMLElement[]): HTMLElement {
  return h('section', { 'aria-labelledby': id }, h('h2', { id }, title), ...children);
}

document.querySelector('#app')!.replaceChildren(
  section('key-h', 'Key', key.element),
  section('run-h', 'Run a chain', form.element),
  section('timeline-h', 'Run', ...view.elements),
  section('request-h', 'Request', ...request.elements),
  section('runs-h', 'Past runs', ...pastRuns.elements),
);
void key.restore();
