// The answer to the input step a run waits at: the step's prompt and a form made from the step's JSON
// Schema (a boolean, a string or enum, a number or integer, or an object of those with one field per
// property; anything else is written as JSON, and every form can switch to raw JSON), sent with the
// page's key. The form only reads values: the server checks the answer against the whole schema, and a
// refusal lists its errors in the form while the run keeps waiting for a better answer.
import { ChainportError, type Run } from '../../src/client/index.js';
import { describe, type Session } from './api.js';
import { field, h } from './dom.js';
import type { JsonSchema } from './form.js';

/** What a run waiting at an input step asks for: its `input_request`, or the data of `run.waiting`. */
export type InputRequest = NonNullable<Run['input_request']>;

/** A control's value (undefined when left empty: the answer leaves it out), or why it does not read. */
type Read = { value: unknown } | { error: string };

interface Control {
  element: HTMLElement;
  read(): Read;
  /** Marks the control as where a refused answer went wrong, or clears the mark. */
  invalid(on: boolean): void;
}

/** The answers a form can build: one value, or an object of values by property. */
interface Fields {
  element: HTMLElement;
  read(): Read;
  /** The control a refusal's error `path` (`value`, `value.note`, `value.note.x`) points at. */
  at(path: string): Control | undefined;
}

/**
 * The prompt and answer form of `request`, for run `runId`. `answered` is called with the run once the
 * server took the answer; until then refusals show in the form.
 */
export function answerForm(session: Session, runId: string, request: InputRequest, answered: (run: Run) => void): HTMLFormElement {
  const schema = request.schema as JsonSchema;
  const fields = schemaFields(schema);
  const raw = h('textarea', { rows: 4, spellcheck: false, class: 'mono' }, schema.default === undefined ? '' : JSON.stringify(schema.default, null, 2));
  const rawField = field('Answer (JSON)', raw, fields ? undefined : 'The whole answer as JSON: the schema below says what it must be.');
  const useRaw = h('input', { type: 'checkbox', checked: !fields });
  const sync = () => {
    rawField.hidden = !useRaw.checked;
    if (fields) fields.element.hidden = useRaw.checked;
  };
  useRaw.addEventListener('change', () => {
    // What was filled in so far carries over to the raw editor (not back: JSON may hold more than the fields).
    const read = fields?.read();
    if (useRaw.checked && read && 'value' in read && read.value !== undefined) raw.value = JSON.stringify(read.value, null, 2);
    sync();
  });
  sync();

  const send = h('button', { type: 'submit' }, 'Send answer');
  const errors = h('div', { class: 'errors', role: 'alert' });
  let marked: Control[] = [];
  const refuse = (message: string, lines: string[] = []) => errors.replaceChildren(h('p', {}, message), lines.length ? h('ul', {}, ...lines.map((line) => h('li', {}, line))) : '');

  const submit = async (): Promise<void> => {
    const client = session.client;
    if (!client) return refuse('Use a key first.');
    for (const control of marked) control.invalid(false);
    marked = [];
    const read = readAnswer(useRaw.checked ? undefined : fields, raw);
    if ('error' in read) return refuse(read.error);
    errors.replaceChildren();
    send.disabled = true;
    let run: Run;
    try {
      // A key per answer: a request the client retries (429, 503) reaches this answer, never a second one.
      run = await client.input(runId, request.step, read.value, { idempotencyKey: crypto.randomUUID() });
    } catch (err) {
      if (err instanceof ChainportError && err.code === 'validation_failed') {
        const problems = err.problem?.errors ?? [];
        marked = useRaw.checked ? [] : problems.flatMap((p) => fields?.at(p.path) ?? []);
        for (const control of marked) control.invalid(true);
        refuse(`${err.message} Correct the answer and send it again.`, problems.map((p) => `${p.path}: ${p.message}`));
        send.disabled = false;
      } else if (err instanceof ChainportError && err.status === 409) {
        // Another answer won, or the step no longer waits (answered elsewhere, timed out, run ended): this
        // form cannot answer it any more, so Send stays off.
        refuse(describe(err));
      } else {
        refuse(describe(err));
        send.disabled = false;
      }
      return;
    }
    answered(run);
  };

  const expires = new Date(request.expires_at);
  return h(
    'form',
    { class: 'answer', 'aria-label': `Answer ${request.step}`, novalidate: true, onsubmit: (e) => (e.preventDefault(), void submit()) },
    h(
      'fieldset',
      {},
      h('legend', {}, `Input: ${request.step}`),
      h('p', { class: 'prompt' }, request.prompt),
      h('p', { class: 'expires' }, h('small', {}, `Waits until ${Number.isNaN(expires.getTime()) ? request.expires_at : expires.toLocaleString()}.`)),
      fields ? field('Edit as raw JSON', useRaw) : null,
      fields?.element,
      rawField,
      // Raw JSON may be anything: the schema tells what the server will take.
      h('details', {}, h('summary', {}, 'Answer schema'), h('pre', { class: 'mono' }, JSON.stringify(request.schema, null, 2))),
      h('div', { class: 'buttons' }, send),
      errors,
    ),
  );
}

/** The answer as filled in: from the fields, or from the raw editor when `fields` is not in use. */
function readAnswer(fields: Fields | undefined, raw: HTMLTextAreaElement): Read {
  if (fields) return fields.read();
  // Left empty, nothing is sent as the value: the server then says it is required.
  if (raw.value.trim() === '') return { value: undefined };
  try {
    return { value: JSON.parse(raw.value) };
  } catch (err) {
    return { error: `The answer is not JSON: ${(err as Error).message}` };
  }
}

const typeOf = (schema: JsonSchema) => (Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type);
/** A schema one control answers: an enum, a boolean, a string, a number or an integer. */
const isSimple = (schema: JsonSchema) => schema.enum !== undefined || ['boolean', 'string', 'number', 'integer'].includes(typeOf(schema) ?? '');

/**
 * The fields for `schema`: one control for a simple value, one per property for an object (a property
 * that is not simple gets a JSON field), none (the raw editor only) for anything else.
 */
function schemaFields(schema: JsonSchema): Fields | undefined {
  if (isSimple(schema)) {
    const only = control('Answer', schema);
    return { element: h('div', { class: 'schema-fields' }, only.element), read: () => only.read(), at: (path) => (path === 'value' ? only : undefined) };
  }
  const properties = Object.entries(schema.properties ?? {});
  if (typeOf(schema) !== 'object' || properties.length === 0) return undefined;
  const required = new Set(schema.required ?? []);
  const controls = new Map(properties.map(([name, prop]) => [name, control(`${name}${required.has(name) ? ' (required)' : ''}`, prop)]));
  return {
    element: h('div', { class: 'schema-fields' }, ...[...controls.values()].map((c) => c.element)),
    read() {
      const value: Record<string, unknown> = {};
      for (const [name, c] of controls) {
        const read = c.read();
        if ('error' in read) return { error: `${name}: ${read.error}` };
        if (read.value !== undefined) value[name] = read.value;
      }
      return { value };
    },
    at: (path) => controls.get(path.split('.')[1] ?? ''),
  };
}

function control(label: string, prop: JsonSchema): Control {
  const type = typeOf(prop);
  if (prop.enum) return choice(label, prop.enum.map((v) => [typeof v === 'string' ? v : JSON.stringify(v), v]), prop);
  if (type === 'boolean') return choice(label, [['yes', true], ['no', false]], prop);
  if (type === 'number' || type === 'integer') {
    const input = h('input', { type: 'number', step: type === 'integer' ? 1 : 'any', min: prop.minimum, max: prop.maximum, value: typeof prop.default === 'number' ? prop.default : undefined });
    // A number input answers '' for text that is not a number, as for an empty one: the browser says which.
    const read = (): Read => (input.value !== '' ? { value: Number(input.value) } : input.validity.badInput ? { error: 'not a number.' } : { value: undefined });
    return { element: field(label, input, prop.description), read, invalid: mark(input) };
  }
  if (type === 'string') {
    const long = (prop.maxLength ?? Infinity) > 120;
    const input = long ? h('textarea', { rows: 2, maxlength: prop.maxLength }) : h('input', { type: 'text', maxlength: prop.maxLength });
    if (typeof prop.default === 'string') input.value = prop.default;
    return { element: field(label, input, prop.description), read: () => ({ value: input.value === '' ? undefined : input.value }), invalid: mark(input) };
  }
  const json = h('textarea', { rows: 3, class: 'mono', spellcheck: false }, prop.default === undefined ? '' : JSON.stringify(prop.default));
  const read = (): Read => {
    if (json.value.trim() === '') return { value: undefined };
    try {
      return { value: JSON.parse(json.value) };
    } catch {
      return { error: 'not valid JSON.' };
    }
  };
  return { element: field(`${label} (JSON)`, json, prop.description), read, invalid: mark(json) };
}

/**
 * A select of `options` that starts on "—" (left out) unless the schema has a default: a yes or no is
 * the person's to give, never the form's.
 */
function choice(label: string, options: Array<[text: string, value: unknown]>, prop: JsonSchema): Control {
  const initial = JSON.stringify(prop.default);
  const select = h('select', {}, h('option', { value: '' }, '—'), ...options.map(([text, value], i) => h('option', { value: String(i), selected: JSON.stringify(value) === initial }, text)));
  return { element: field(label, select, prop.description), read: () => ({ value: select.value === '' ? undefined : options[Number(select.value)]![1] }), invalid: mark(select) };
}

function mark(el: HTMLElement): (on: boolean) => void {
  return (on) => (on ? el.setAttribute('aria-invalid', 'true') : el.removeAttribute('aria-invalid'));
}
