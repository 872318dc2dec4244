// `${NAME}` placeholders in an http agent's url and headers. They are read from the worker's
// environment at call time (so values never enter workflow history), only in the chain file's own
// text (never in what a template inserted), and only for names a chain is allowed to read.
import type { TextPart } from '../../workflows/template.js';

/** The only environment variables a chain may read: Temporal addresses, API keys and secret keys stay out of reach. */
export const AGENT_ENV_PREFIX = 'CHAINPORT_AGENT_';

const ENV_REFERENCE = /\$\{([A-Z_][A-Z0-9_]*)\}/g;
/** Names of other variables whose values count as secrets to redact. */
const SECRET_NAME = /KEY|SECRET|TOKEN|PASSWORD|CREDENTIAL/;
/** Shorter values are not redacted: they would mangle ordinary text and protect nothing. */
const MIN_SECRET_LENGTH = 6;

/** Why `${NAME}` references in chain text are refused, one message per name; empty when all may be read. */
export function refusedReferences(text: string): string[] {
  return [...text.matchAll(ENV_REFERENCE)]
    .map((match) => match[1] as string)
    .filter((name) => !name.startsWith(AGENT_ENV_PREFIX))
    .map((name) => `\${${name}} is not readable by chains; only variables named ${AGENT_ENV_PREFIX}* are (rename it, e.g. \${${AGENT_ENV_PREFIX}${name}})`);
}

export class EnvReferenceError extends Error {
  override name = 'EnvReferenceError';
}

export interface Expanded {
  /** The text to send, with variables expanded in literal parts only. */
  text: string;
  /** The text as the chain wrote it (placeholders kept), safe to show in errors. */
  shown: string;
  /** Values expanded into `text`, to redact from anything shown. */
  secrets: string[];
  /** `text` with every inserted part left out: what the chain alone decides (the URL's origin must come from it). */
  chainOnly: string;
}

/**
 * Joins parts, expanding `${NAME}` in literal parts from `env`. A plain string (a run started before
 * parts existed) counts as inserted text: nothing in it is expanded.
 */
export function expandParts(value: string | TextPart[], env: NodeJS.ProcessEnv): Expanded {
  const parts: TextPart[] = typeof value === 'string' ? [{ inserted: value }] : value;
  const result: Expanded = { text: '', shown: '', secrets: [], chainOnly: '' };
  for (const part of parts) {
    if ('inserted' in part) {
      result.text += part.inserted;
      result.shown += part.inserted;
      continue;
    }
    const problem = refusedReferences(part.literal)[0];
    if (problem) throw new EnvReferenceError(problem);
    const expanded = part.literal.replace(ENV_REFERENCE, (_match, name: string) => {
      const found = env[name];
      if (found === undefined) throw new EnvReferenceError(`references \${${name}}, which is not set in the worker's environment`);
      result.secrets.push(found);
      return found;
    });
    result.text += expanded;
    result.shown += part.literal;
    result.chainOnly += expanded;
  }
  return result;
}

/** Values in `env` that must never be shown: every chain-readable variable and anything named like a key, token or secret. */
export function secretValues(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter(([name]) => name.startsWith(AGENT_ENV_PREFIX) || SECRET_NAME.test(name))
    .map(([, value]) => value ?? '');
}

/** `text` with each secret (as is and URL-encoded) replaced by `[redacted]`, longest first so a secret containing another is caught whole. */
export function redact(text: string, secrets: string[]): string {
  const forms = new Set(secrets.filter((s) => s.length >= MIN_SECRET_LENGTH).flatMap((s) => [s, encodeURIComponent(s)]));
  return [...forms].sort((a, b) => b.length - a.length).reduce((out, secret) => out.split(secret).join('[redacted]'), text);
}
