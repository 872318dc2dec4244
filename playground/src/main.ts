// The playground: pick a chain, fill its input, run it (sync, async + poll, or stream), watch the
// agents, cancel, copy the request, and browse past runs and their webhook deliveries. Every call goes
// through chainport/client with the key as a Bearer header; the key lives in sessionStorage only.
import { Chainport, ChainportError, type Chain, type Delivery, type Run } from '../../src/client/index.js';
import { field, h } from './dom.js';
import { schemaForm, type InputForm, type JsonSchema } from './form.js';
import { clientSnippet, curlSnippet, type Mode } from './snippets.js';
import { Timeline, money, seconds } from './timeline.js';
import './style.css';

const KEY_STORAGE = 'chainport.apiKey';
const POLL_MS = 1000;
/** How long the page follows a redelivery (its retries may take longer; Refresh runs shows them). */
const REDELIVERY_POLLS = 60;
const origin = location.origin;

let client: Chainport | undefined;
let chains: Chain[] = [];
let form: InputForm | undefined;
/** The run this page is driving: the request as sent (to find the run again) and its id once known. */
interface ActiveRun {
  mode: Mode;
  chainRef: string;
  input: Record<string, unknown>;
  webhook: { url: string } | undefined;
  /** Sent with every start, so a sync run (no id until it answers) can still be found and cancelled. */
  idempotencyKey: string;
  runId: string | undefined;
}
let active: ActiveRun | undefined;

// ---- key ------------------------------------------------------------------------------------------
const keyInput = h('input', { type: 'password', autocomplete: 'off', placeholder: 'Bearer key' });
const keyStatus = h('span', { role: 'status' });
const keyForm = h(
  'form',
  { class: 'key', onsubmit: (e) => (e.preventDefault(), useKey(keyInput.value.trim())) },
  field('API key', keyInput, 'Kept in this tab’s session storage only; sent as an Authorization header.'),
  h('div', { class: 'buttons' }, h('button', { type: 'submit' }, 'Use key'), h('button', { type: 'button', onclick: () => forgetKey() }, 'Forget key'), keyStatus),
);

// ---- run form -------------------------------------------------------------------------------------
const chainSelect = h('select', { onchange: () => showChain() });
const versionSelect = h('select', { onchange: () => void loadVersion() });
const description = h('p', { class: 'description' });
const formSlot = h('div');
const modes = (['stream', 'async', 'sync'] as const).map((mode) => {
  const input = h('input', { type: 'radio', name: 'mode', value: mode, checked: mode === 'stream', onchange: () => showMode() });
  const labels: Record<Mode, string> = { stream: 'Stream (SSE)', async: 'Async + poll', sync: 'Sync' };
  return h('label', { class: 'radio' }, input, ` ${labels[mode]}`);
});
// The API takes a webhook on the async route (and on the stream route only with a secret of your own).
const webhookUrl = h('input', { type: 'url', autocomplete: 'off', placeholder: 'https://example.com/hooks', disabled: true });
const webhookField = field('Webhook URL (async + poll)', webhookUrl, 'Optional. Signed with a secret the server generates and shows once.');
const runButton = h('button', { type: 'submit', disabled: true }, 'Run');
const cancelButton = h('button', { type: 'button', disabled: true, onclick: () => void cancelRun() }, 'Cancel');
const errors = h('div', { class: 'errors', role: 'alert' });
const runForm = h(
  'form',
  { class: 'run', novalidate: true, onsubmit: (e) => (e.preventDefault(), void startRun()), oninput: () => updateSnippets(), hidden: true },
  h('div', { class: 'row' }, field('Chain', chainSelect), field('Version', versionSelect)),
  description,
  formSlot,
  h('fieldset', { class: 'modes' }, h('legend', {}, 'Mode'), ...modes),
  webhookField,
  h('div', { class: 'buttons' }, runButton, cancelButton),
  errors,
);

// ---- run view -------------------------------------------------------------------------------------
const runStatus = h('output', { class: 'run-status', 'aria-live': 'polite' }, 'No run yet.');
const temporalLink = h('a', { target: '_blank', rel: 'noopener', hidden: true }, 'Open in Temporal UI');
const webhookSecret = h('p', { class: 'secret', role: 'status', hidden: true });
const timeline = new Timeline();
const output = h('pre', { class: 'output', 'aria-label': 'Run output' });
const curl = h('pre', { class: 'mono snippet', 'aria-label': 'curl command' });
const code = h('pre', { class: 'mono snippet', 'aria-label': 'Client snippet' });
const copy = (from: HTMLElement, what: string) => h('button', { type: 'button', onclick: () => void navigator.clipboard.writeText(from.textContent ?? '') }, `Copy ${what}`);

// ---- past runs ------------------------------------------------------------------------------------
const runsList = h('ul', { class: 'runs', 'aria-label': 'Past runs' });
const runDetail = h('div', { class: 'run-detail' });

document.querySelector('#app')!.replaceChildren(
  h('section', { 'aria-labelledby': 'key-h' }, h('h2', { id: 'key-h' }, 'Key'), keyForm),
  h('section', { 'aria-labelledby': 'run-h' }, h('h2', { id: 'run-h' }, 'Run a chain'), runForm),
  h('section', { 'aria-labelledby': 'timeline-h' }, h('h2', { id: 'timeline-h' }, 'Run'), runStatus, temporalLink, webhookSecret, timeline.element, output),
  h(
    'section',
    { 'aria-labelledby': 'request-h' },
    h('h2', { id: 'request-h' }, 'Request'),
    h('div', { class: 'snippet-head' }, h('h3', {}, 'curl'), copy(curl, 'curl')),
    curl,
    h('div', { class: 'snippet-head' }, h('h3', {}, 'TypeScript client'), copy(code, 'snippet')),
    code,
  ),
  h('section', { 'aria-labelledby': 'runs-h' }, h('h2', { id: 'runs-h' }, 'Past runs'), h('button', { type: 'button', onclick: () => void loadRuns() }, 'Refresh runs'), runsList, runDetail),
);

const saved = sessionStorage.getItem(KEY_STORAGE);
if (saved) {
  keyInput.value = saved;
  void useKey(saved);
} else {
  void useLocalKey();
}

/** In local mode (`npm start` on this machine, no caller configured) the server offers its development key. */
async function useLocalKey(): Promise<void> {
  const res = await fetch('/playground/local-key', { credentials: 'omit' }).catch(() => undefined);
  if (!res?.ok) return;
  const { api_key: key } = (await res.json()) as { api_key: string };
  keyInput.value = key;
  await useKey(key);
  if (client) keyStatus.textContent = `Local mode: the development key is filled in. ${keyStatus.textContent}`;
}

async function useKey(key: string): Promise<void> {
  if (!key) return void (keyStatus.textContent = 'Enter a key first.');
  sessionStorage.setItem(KEY_STORAGE, key);
  client = new Chainport({ baseUrl: origin, apiKey: key });
  try {
    chains = await client.chains();
  } catch (err) {
    keyStatus.textContent = describe(err);
    return;
  }
  keyStatus.textContent = `Key accepted: ${chains.length} chain(s).`;
  chainSelect.replaceChildren(...chains.map((c) => h('option', { value: c.name, disabled: !c.available }, `${c.name}${c.available ? '' : ' (unavailable)'}`)));
  runForm.hidden = false;
  runButton.disabled = false;
  showChain();
  void loadRuns();
}

function forgetKey(): void {
  sessionStorage.removeItem(KEY_STORAGE);
  keyInput.value = '';
  client = undefined;
  runForm.hidden = true;
  keyStatus.textContent = 'Key forgotten.';
}

function selectedChain(): Chain | undefined {
  return chains.find((c) => c.name === chainSelect.value);
}

function showChain(): void {
  const chain = selectedChain();
  if (!chain) return;
  versionSelect.replaceChildren(...[...chain.versions].sort((a, b) => b - a).map((v) => h('option', { value: String(v), selected: v === chain.version }, `v${v}`)));
  setChainDetail(chain);
}

/** Another version may have another input schema and agents: ask for that version. */
async function loadVersion(): Promise<void> {
  const chain = selectedChain();
  if (!chain || !client) return;
  try {
    setChainDetail(await client.chain(chainRef()));
  } catch (err) {
    errors.textContent = describe(err);
  }
}

let shownAgents: string[] = [];
function setChainDetail(chain: Chain): void {
  description.textContent = chain.description;
  shownAgents = chain.agents;
  form = schemaForm(chain.input_schema as JsonSchema);
  formSlot.replaceChildren(form.element);
  updateSnippets();
}

function chainRef(): string {
  return `${chainSelect.value}@${versionSelect.value}`;
}

function mode(): Mode {
  return (runForm.querySelector<HTMLInputElement>('input[name=mode]:checked')?.value ?? 'stream') as Mode;
}

/** The webhook to send: only in async mode, only when a URL is given. */
function webhook(): { url: string } | undefined {
  const url = webhookUrl.value.trim();
  return mode() === 'async' && url ? { url } : undefined;
}

function showMode(): void {
  webhookUrl.disabled = mode() !== 'async';
  updateSnippets();
}

function updateSnippets(): void {
  const read = form?.read();
  const request = { chainRef: chainRef(), input: read && 'input' in read ? read.input : {}, mode: mode(), webhook: webhook() };
  curl.textContent = curlSnippet(origin, request);
  code.textContent = clientSnippet(origin, request);
}

async function startRun(): Promise<void> {
  if (!client || !form || active) return;
  const read = form.read();
  if ('errors' in read) {
    errors.replaceChildren(h('ul', {}, ...read.errors.map((e) => h('li', {}, e))));
    return;
  }
  errors.textContent = '';
  const run: ActiveRun = { mode: mode(), chainRef: chainRef(), input: read.input, webhook: webhook(), idempotencyKey: crypto.randomUUID(), runId: undefined };
  active = run;
  runButton.disabled = true;
  cancelButton.disabled = false;
  temporalLink.hidden = true;
  webhookSecret.hidden = true;
  output.textContent = '';
  timeline.reset(shownAgents);
  setStatus('running');
  try {
    if (run.mode === 'stream') await streamRun(run);
    else if (run.mode === 'async') await pollRun(run);
    else await finish(await client.run(run.chainRef, run.input, { idempotencyKey: run.idempotencyKey }));
  } catch (err) {
    errors.textContent = describe(err);
    if (err instanceof ChainportError && err.runId) await finish(await client.get(err.runId));
    else setStatus('error');
  } finally {
    active = undefined;
    runButton.disabled = false;
    cancelButton.disabled = true;
    void loadRuns();
  }
}

async function streamRun(run: ActiveRun): Promise<void> {
  for await (const event of client!.stream(run.chainRef, run.input, { idempotencyKey: run.idempotencyKey })) {
    timeline.apply(event);
    switch (event.event) {
      case 'run.started':
        run.runId = event.data.run_id;
        setStatus('running', event.data.run_id);
        break;
      case 'run.completed':
      case 'run.failed':
      case 'run.timed_out':
      case 'run.cancelled':
        return finish(await client!.get(event.data.run_id));
      default:
        break;
    }
  }
}

async function pollRun(run: ActiveRun): Promise<void> {
  const accepted = await client!.start(run.chainRef, run.input, { idempotencyKey: run.idempotencyKey, webhook: run.webhook });
  run.runId = accepted.run_id;
  if (accepted.webhook?.secret) {
    webhookSecret.textContent = `Webhook secret (shown once): ${accepted.webhook.secret}`;
    webhookSecret.hidden = false;
  }
  for (;;) {
    const now = await client!.get(accepted.run_id);
    timeline.applyRun(now);
    if (now.status !== 'running') return finish(now);
    setStatus(`running${now.progress?.current_agent ? ` (${now.progress.current_agent})` : ''} · ${money(now.cost)} · ${seconds(now.duration_ms)}`, now.run_id);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function finish(run: Run): Promise<void> {
  timeline.applyRun(run);
  setStatus(`${run.status} · ${money(run.cost)} · ${seconds(run.duration_ms)}`, run.run_id);
  output.textContent = run.output !== undefined ? (typeof run.output === 'string' ? run.output : JSON.stringify(run.output, null, 2)) : run.error ? `${run.error.code}: ${run.error.detail}` : '';
  if (run.temporal_ui_url) {
    temporalLink.href = run.temporal_ui_url;
    temporalLink.hidden = false;
  }
}

/**
 * Cancels the run on the server. A sync run has no id until it answers: the same Idempotency-Key
 * sent to the async route names the same run (never a new one) and gives its id.
 */
async function cancelRun(): Promise<void> {
  const run = active;
  if (!run || !client) return;
  cancelButton.disabled = true;
  try {
    run.runId ??= (await client.start(run.chainRef, run.input, { idempotencyKey: run.idempotencyKey, webhook: run.webhook })).run_id;
    await client.cancel(run.runId);
    setStatus('cancelling…', run.runId);
    // Each mode then sees the end its own way: the sync answer, the next poll, or run.cancelled.
  } catch (err) {
    errors.textContent = describe(err);
  }
}

function setStatus(text: string, runId?: string): void {
  runStatus.textContent = runId ? `${runId}: ${text}` : text;
  runStatus.dataset.status = text.split(' ')[0];
}

async function loadRuns(): Promise<void> {
  if (!client) return;
  try {
    const page = await client.list({ limit: 20 }).next();
    const runs = page.value?.data ?? [];
    runsList.replaceChildren(
      ...runs.map((r) =>
        h(
          'li',
          {},
          h('button', { type: 'button', class: 'link', onclick: () => void showRun(r.run_id) }, `${r.chain}@${r.chain_version}`),
          ` ${r.status} · ${new Date(r.created_at).toLocaleString()} · `,
          h('span', { class: 'mono' }, r.run_id),
        ),
      ),
    );
    if (!runs.length) runsList.replaceChildren(h('li', {}, 'No runs yet.'));
  } catch (err) {
    runsList.replaceChildren(h('li', {}, describe(err)));
  }
}

/** Shows a past run and its deliveries; answers the deliveries (none when it could not load them). */
async function showRun(runId: string): Promise<Delivery[]> {
  if (!client) return [];
  try {
    const [run, deliveries] = await Promise.all([client.get(runId), client.deliveries(runId)]);
    const link = run.temporal_ui_url ? [h('a', { href: run.temporal_ui_url, target: '_blank', rel: 'noopener' }, 'Open in Temporal UI')] : [];
    runDetail.replaceChildren(
      h('h3', {}, runId),
      h('p', {}, `${run.chain}@${run.chain_version} · ${run.status} · ${money(run.cost)} · ${seconds(run.duration_ms)}`),
      ...link,
      h('ul', {}, ...run.agents.map((a) => h('li', {}, `${a.name}: ${a.status}, ${a.attempts} attempt(s), ${money(a.cost)}, ${seconds(a.duration_ms)}`))),
      h('h4', {}, 'Webhook deliveries'),
      deliveries.length
        ? h(
            'ul',
            {},
            ...deliveries.map((d) =>
              h(
                'li',
                { class: 'delivery', 'data-status': d.status },
                `${d.event} → ${d.url}: ${d.status} (${d.attempts.length} attempt(s)${d.attempts.at(-1)?.error ? `, last: ${d.attempts.at(-1)!.error}` : ''}) `,
                d.status === 'failed' ? h('button', { type: 'button', onclick: () => void redeliver(runId, d) }, `Redeliver ${d.event}`) : null,
              ),
            ),
          )
        : h('p', {}, 'No webhook deliveries.'),
    );
    return deliveries;
  } catch (err) {
    runDetail.textContent = describe(err);
    return [];
  }
}

/** Sends a failed delivery again, then follows it until its new attempt(s) end delivered or failed. */
async function redeliver(runId: string, delivery: Delivery): Promise<void> {
  try {
    await client!.redeliver(runId, delivery.delivery_id);
  } catch (err) {
    runDetail.prepend(h('p', { role: 'alert' }, describe(err)));
    return;
  }
  for (let polls = 0; polls < REDELIVERY_POLLS; polls++) {
    const now = (await showRun(runId)).find((d) => d.delivery_id === delivery.delivery_id);
    // The delivery takes the request as a signal: until it records a new attempt, it may still say failed.
    if (!now || (now.status !== 'pending' && now.attempts.length > delivery.attempts.length)) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function describe(err: unknown): string {
  if (err instanceof ChainportError) {
    const details = err.problem?.errors ? ` ${JSON.stringify(err.problem.errors)}` : '';
    return `${err.code}: ${err.message}${details}`;
  }
  return err instanceof Error ? err.message : String(err);
}
