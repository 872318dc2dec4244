// A tiny element builder: the page is small enough that plain DOM calls stay readable.

type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | boolean | number | undefined | ((event: Event) => void)>;

/** Creates `<tag>` with attributes (`on*` keys become listeners, `true` a bare attribute) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  el.append(...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false));
  return el;
}

let ids = 0;
/** A fresh element id, for `<label for>`. */
export const nextId = (prefix: string) => `${prefix}-${++ids}`;

/** A labelled control: the label is always present, so every control has an accessible name. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  control.id ||= nextId('f');
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hint ? h('small', {}, hint) : null);
}
