// The Request section: the run as the form stands, as a curl command and a chainport/client call,
// each with a Copy button.
import { origin } from './api.js';
import { h } from './dom.js';
import { clientSnippet, curlSnippet, type RunRequest } from './snippets.js';

export class RequestPanel {
  readonly #curl = h('pre', { class: 'mono snippet', 'aria-label': 'curl command' });
  readonly #code = h('pre', { class: 'mono snippet', 'aria-label': 'Client snippet' });
  /** The section's parts, in page order. */
  readonly elements: readonly HTMLElement[] = [
    h('div', { class: 'snippet-head' }, h('h3', {}, 'curl'), copyButton(this.#curl, 'curl')),
    this.#curl,
    h('div', { class: 'snippet-head' }, h('h3', {}, 'TypeScript client'), copyButton(this.#code, 'snippet')),
    this.#code,
  ];

  show(request: RunRequest): void {
    this.#curl.textContent = curlSnippet(origin, request);
    this.#code.textContent = clientSnippet(origin, request);
  }
}

function copyButton(from: HTMLElement, what: string): HTMLButtonElement {
  return h('button', { type: 'button', onclick: () => void navigator.clipboard.writeText(from.textContent ?? '') }, `Copy ${what}`);
}
