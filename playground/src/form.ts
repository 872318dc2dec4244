// A form generated from a chain's input JSON Schema (the common subset: an object of strings,
// numbers, integers, booleans and enums; anything else gets a JSON field), and the checks the
// server would make, run before a request is sent.
import { field, h } from './dom.js';

export type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  description?: string;
  default?: unknown;
};

export interface InputForm {
  element: HTMLElement;
  /** The input as an object, or the problems found (one per field). */
  read(): { input: Record<string, unknown> } | { errors: string[] };
}

/** A form for `schema`; without usable properties, a raw JSON editor only. */
export function schemaForm(schema: JsonSchema): InputForm {
  const properties = Object.entries(schema.properties ?? {});
  const required = new Set(schema.required ?? []);
  const readers = properties.map(([name, prop]) => control(name, prop, required.has(name)));
  const raw = h('textarea', { rows: 6, spellcheck: false, class: 'mono' }, JSON.stringify(example(schema), null, 2));
  const rawField = field('Input (JSON)', raw);
  const useRaw = h('input', { type: 'checkbox' }) as HTMLInputElement;
  const formFields = h('div', { class: 'schema-fields' }, ...readers.map((r) => r.element));
  const sync = () => {
    rawField.hidden = !useRaw.checked;
    formFields.hidden = useRaw.checked;
  };
  useRaw.checked = properties.length === 0;
  useRaw.addEventListener('change', () => {
    if (useRaw.checked) {
      const read = readFields();
      if ('input' in read) raw.value = JSON.stringify(read.input, null, 2);
    }
    sync();
  });
  sync();
  const readFields = (): { input: Record<string, unknown> } | { errors: string[] } => {
    const input: Record<string, unknown> = {};
    const errors: string[] = [];
    for (const r of readers) {
      const result = r.read();
      if ('error' in result) errors.push(result.error);
      else if (result.value !== undefined) input[r.name] = result.value;
    }
    return errors.length ? { errors } : { input };
  };
  return {
    element: h('fieldset', { class: 'input' }, h('legend', {}, 'Input'), field('Edit as raw JSON', useRaw), formFields, rawField),
    read() {
      if (!useRaw.checked) return readFields();
      let value: unknown;
      try {
        value = JSON.parse(raw.value);
      } catch (err) {
        return { errors: [`Input is not JSON: ${(err as Error).message}`] };
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return { errors: ['Input must be a JSON object.'] };
      const errors = validate(schema, value as Record<string, unknown>);
      return errors.length ? { errors } : { input: value as Record<string, unknown> };
    },
  };
}

interface Control {
  name: string;
  element: HTMLElement;
  read(): { value: unknown } | { error: string };
}

function control(name: string, prop: JsonSchema, isRequired: boolean): Control {
  const type = Array.isArray(prop.type) ? prop.type.find((t) => t !== 'null') : prop.type;
  const label = `${name}${isRequired ? ' (required)' : ''}`;
  const check = (value: unknown) => {
    const [error] = validate({ properties: { [name]: prop }, required: isRequired ? [name] : [] }, value === undefined ? {} : { [name]: value });
    return error === undefined ? { value } : { error };
  };
  if (prop.enum) {
    const select = h('select', {}, ...(isRequired ? [] : [h('option', { value: '' }, '—')]), ...prop.enum.map((v, i) => h('option', { value: String(i) }, String(v))));
    return { name, element: field(label, select, prop.description), read: () => check(select.value === '' ? undefined : prop.enum![Number(select.value)]) };
  }
  if (type === 'boolean') {
    const box = h('input', { type: 'checkbox', checked: prop.default === true });
    return { name, element: field(label, box, prop.description), read: () => check(box.checked) };
  }
  if (type === 'number' || type === 'integer') {
    const input = h('input', { type: 'number', step: type === 'integer' ? 1 : 'any', min: prop.minimum, max: prop.maximum, value: typeof prop.default === 'number' ? prop.default : undefined, required: isRequired });
    return { name, element: field(label, input, prop.description), read: () => check(input.value === '' ? undefined : Number(input.value)) };
  }
  if (type === 'string') {
    const long = (prop.maxLength ?? Infinity) > 120;
    const attrs = { maxlength: prop.maxLength, required: isRequired };
    const input = long ? h('textarea', { ...attrs, rows: 2 }) : h('input', { ...attrs, type: 'text' });
    if (typeof prop.default === 'string') input.value = prop.default;
    return { name, element: field(label, input, prop.description), read: () => check(input.value === '' ? undefined : input.value) };
  }
  const json = h('textarea', { rows: 3, class: 'mono', spellcheck: false });
  return {
    name,
    element: field(`${label} (JSON)`, json, prop.description),
    read: () => {
      if (json.value.trim() === '') return check(undefined);
      try {
        return check(JSON.parse(json.value));
      } catch {
        return { error: `${name}: not valid JSON.` };
      }
    },
  };
}

/** The schema's checks a form can get wrong: required fields, types, lengths, ranges, enums. */
export function validate(schema: JsonSchema, input: Record<string, unknown>): string[] {
  const errors: string[] = [];
  for (const name of schema.required ?? []) if (input[name] === undefined) errors.push(`${name}: required.`);
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    const value = input[name];
    if (value === undefined) continue;
    const types = prop.type === undefined ? [] : Array.isArray(prop.type) ? prop.type : [prop.type];
    if (types.length && !types.some((t) => typeMatches(t, value))) errors.push(`${name}: must be ${types.join(' or ')}.`);
    if (prop.enum && !prop.enum.some((v) => JSON.stringify(v) === JSON.stringify(value))) errors.push(`${name}: must be one of ${prop.enum.map((v) => JSON.stringify(v)).join(', ')}.`);
    if (typeof value === 'string') {
      if (prop.minLength !== undefined && value.length < prop.minLength) errors.push(`${name}: at least ${prop.minLength} characters.`);
      if (prop.maxLength !== undefined && value.length > prop.maxLength) errors.push(`${name}: at most ${prop.maxLength} characters.`);
    }
    if (typeof value === 'number') {
      if (prop.minimum !== undefined && value < prop.minimum) errors.push(`${name}: at least ${prop.minimum}.`);
      if (prop.maximum !== undefined && value > prop.maximum) errors.push(`${name}: at most ${prop.maximum}.`);
    }
  }
  return errors;
}

function typeMatches(type: string, value: unknown): boolean {
  switch (type) {
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'null':
      return value === null;
    default:
      return typeof value === type;
  }
}

/** A starting value for the raw editor: defaults, else an empty value of each required property's type. */
function example(schema: JsonSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    if (prop.default !== undefined) out[name] = prop.default;
    else if (schema.required?.includes(name)) out[name] = prop.enum?.[0] ?? (prop.type === 'number' || prop.type === 'integer' ? 0 : prop.type === 'boolean' ? false : '');
  }
  return out;
}
