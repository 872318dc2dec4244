// `{{input.x}}` and `{{agents.NAME.output.field}}` templates. Pure functions: the workflow renders
// them from data already in its history, and the chain loader uses the same parser to check them.

const EXPRESSION = /\{\{\s*([^{}]+?)\s*\}\}/g;
const WHOLE_EXPRESSION = /^\{\{\s*([^{}]+?)\s*\}\}$/;

export interface TemplateScope {
  input: unknown;
  agents: Record<string, { output: unknown }>;
}

/** Every `{{...}}` path in a value (strings inside objects and arrays included). */
export function templatePaths(value: unknown): string[] {
  const found: string[] = [];
  walkStrings(value, (text) => {
    for (const match of text.matchAll(EXPRESSION)) found.push(match[1] as string);
  });
  return found;
}

/**
 * Renders templates in every string of `value`. A string that is exactly one `{{path}}` becomes the
 * value at that path (so JSON outputs pass through as JSON); otherwise each `{{path}}` is replaced by
 * its text (objects as JSON, missing values as an empty string).
 */
export function render(value: unknown, scope: TemplateScope): unknown {
  return mapStrings(value, (text) => renderString(text, scope));
}

/**
 * One piece of a string split by where its text came from: `literal` is the chain file's own text,
 * `inserted` is what a template produced (caller input or an earlier agent's output).
 */
export type TextPart = { literal: string } | { inserted: string };

/**
 * Renders like `render`, but every string becomes its parts, so a consumer can give the chain file's
 * own text a meaning (such as `${NAME}`) that inserted text can never acquire.
 */
export function renderParts(value: unknown, scope: TemplateScope): unknown {
  return mapStrings(value, (text) => splitString(text, scope));
}

/** `value` with every string (inside objects and arrays too) replaced by `map` of it. */
function mapStrings(value: unknown, map: (text: string) => unknown): unknown {
  if (typeof value === 'string') return map(value);
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, map));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mapStrings(item, map)]));
  }
  return value;
}

function splitString(text: string, scope: TemplateScope): TextPart[] {
  const parts: TextPart[] = [];
  let from = 0;
  for (const match of text.matchAll(EXPRESSION)) {
    if (match.index > from) parts.push({ literal: text.slice(from, match.index) });
    parts.push({ inserted: toText(lookup(match[1] as string, scope)) });
    from = match.index + match[0].length;
  }
  if (from < text.length) parts.push({ literal: text.slice(from) });
  return parts;
}

function renderString(text: string, scope: TemplateScope): unknown {
  const whole = WHOLE_EXPRESSION.exec(text);
  if (whole) return lookup(whole[1] as string, scope) ?? null;
  return text.replace(EXPRESSION, (_match, path: string) => toText(lookup(path, scope)));
}

function toText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function lookup(path: string, scope: TemplateScope): unknown {
  let current: unknown = scope;
  for (const key of path.split('.')) {
    // Own properties only: `{{input.constructor}}` must not reach the prototype.
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function walkStrings(value: unknown, visit: (text: string) => void): void {
  if (typeof value === 'string') visit(value);
  else if (Array.isArray(value)) value.forEach((item) => walkStrings(item, visit));
  else if (value !== null && typeof value === 'object') Object.values(value).forEach((item) => walkStrings(item, visit));
}
