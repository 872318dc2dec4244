/** The providers the llm kind can call, as chain files name them before the `:` of `provider:model`. */
export const PROVIDERS = ['openai', 'anthropic', 'openai-compatible'] as const;
export type Provider = (typeof PROVIDERS)[number];

/** A model as a chain file names it, resolved. */
export interface ModelRef {
  provider: Provider;
  /** For `openai-compatible`: the configured server's name. */
  server?: string;
  /** The model id the provider is asked for. */
  model: string;
  /** `provider:model` as runs record it and the price table keys it, e.g. `openai-compatible:local/llama3.1`. */
  id: string;
}

const SERVER_MODEL = /^([a-z0-9]+(?:[-_][a-z0-9]+)*)\/(.+)$/;

/**
 * Reads `provider:model`. Text without a known provider before its first `:` is an OpenAI model, so
 * chain files from before providers existed (`gpt-4o-mini`) keep their meaning. Answers a problem
 * (what is wrong and what to write) instead when the text cannot name a model.
 */
export function parseModelRef(text: string): ModelRef | { problem: string } {
  const colon = text.indexOf(':');
  const prefix = colon < 0 ? '' : text.slice(0, colon);
  const provider = (PROVIDERS as readonly string[]).includes(prefix) ? (prefix as Provider) : undefined;
  if (!provider) return text.trim() ? { provider: 'openai', model: text, id: `openai:${text}` } : { problem: 'names no model' };
  const rest = text.slice(colon + 1);
  if (provider !== 'openai-compatible') {
    return rest ? { provider, model: rest, id: text } : { problem: `"${text}" names no model after "${provider}:"` };
  }
  const match = SERVER_MODEL.exec(rest);
  if (!match) return { problem: `"${text}" must read openai-compatible:<server>/<model>, e.g. openai-compatible:local/llama3.1` };
  return { provider, server: match[1]!, model: match[2]!, id: text };
}
