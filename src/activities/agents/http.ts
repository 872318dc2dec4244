import { z } from 'zod';
import { agentEnvironment, type Config } from '../../config.js';
import { durationMs } from '../../durations.js';
import { NonRetryableAgentError, RetryableAgentError } from '../../errors.js';
import { retryAfterMs } from '../../retry-after.js';
import { describeNetworkError } from '../../webhooks/ssrf.js';
import { EnvReferenceError, expandParts, redact, refusedReferences, secretValues, type Expanded } from './agent-env.js';
import { ResponseTooLargeError, send } from './http-request.js';
import { defineAgentKind } from './kind.js';

/** Cap on a response body we read, so a runaway endpoint cannot exhaust the worker's memory. */
const MAX_RESPONSE_BYTES = 5 * 1024 * 1024;
/** How much of an error answer a failure message quotes (after redaction). */
const EXCERPT_CHARS = 200;
/**
 * Chain text up to the first template must fix the URL's scheme, userinfo, host and port: a scheme
 * and authority (or a `${NAME}` base) ended by `/`, `?` or `#`.
 */
const FIXED_ORIGIN = /^(?:[A-Za-z][A-Za-z0-9+.-]*:\/\/|\$\{[A-Z_][A-Z0-9_]*\})[^/?#]*[/?#]/;

/** Chain text at load, or the workflow's parts at run time (see `splitFields`). */
const chainText = z.union([z.string(), z.array(z.union([z.object({ literal: z.string() }).strict(), z.object({ inserted: z.string() }).strict()]))]);

/**
 * Calls an HTTP endpoint with a templated JSON body and returns its JSON (or text) response.
 * `${CHAINPORT_AGENT_*}` in the chain file's own `url` and `headers` text is read from the worker's
 * environment at call time, so secrets never enter workflow history; what templates insert is never
 * expanded. Non-public addresses are refused unless the host is in `allowHosts`. 5xx, 408, 429 and
 * network errors are retried; other answers are not. Failure messages show the URL as the chain
 * wrote it and redact secret values from any quoted answer.
 */
export function createHttpAgent(options: Config['httpAgent']) {
  return defineAgentKind({
    name: 'http',
    with: z
      .object({
        url: chainText,
        method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
        headers: z.record(z.string(), chainText).default({}),
        body: z.unknown().optional(),
        timeout: durationMs.prefault('30s'),
        cost: z.number().nonnegative().default(0),
      })
      .strict(),
    splitFields: ['url', 'headers'],
    checkChainText(settings) {
      const problems: string[] = [];
      const url = typeof settings.url === 'string' ? settings.url : '';
      const beforeTemplate = url.split('{{')[0] as string;
      if (beforeTemplate !== url && !FIXED_ORIGIN.test(beforeTemplate)) {
        problems.push('url: a template {{…}} may not set the scheme, credentials, host or port; put templates in the path, query or fragment only');
      }
      problems.push(...refusedReferences(url).map((p) => `url: ${p}`));
      for (const [name, value] of Object.entries(settings.headers)) {
        if (name.includes('{{')) problems.push(`headers: the header name "${name}" may not contain a template`);
        if (typeof value === 'string') problems.push(...refusedReferences(value).map((p) => `headers.${name}: ${p}`));
      }
      return problems;
    },
    async run({ with: opts, signal, emit, addUsage }) {
      const env = agentEnvironment(options.envDefaults);
      const url = expand(opts.url, 'url', env);
      const headers: Record<string, string> = { accept: 'application/json' };
      const secrets = [...url.secrets, ...secretValues(env)];
      for (const [name, value] of Object.entries(opts.headers)) {
        const expanded = expand(value, `headers.${name}`, env);
        headers[name.toLowerCase()] = expanded.text;
        secrets.push(...expanded.secrets);
      }
      const target = targetOf(url);
      const hasBody = opts.body !== undefined && opts.method !== 'GET';
      if (hasBody) headers['content-type'] ??= 'application/json';
      const call = `HTTP ${opts.method} ${url.shown}`;
      const timeout = AbortSignal.timeout(opts.timeout);
      let answer;
      try {
        answer = await send(target, {
          method: opts.method,
          headers,
          body: hasBody ? JSON.stringify(opts.body) : undefined,
          signal: AbortSignal.any([signal, timeout]),
          allowPrivate: options.allowHosts.includes(hostOf(target)),
          maxBytes: MAX_RESPONSE_BYTES,
        });
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        if (err instanceof ResponseTooLargeError) throw new NonRetryableAgentError(`${call}: ${err.message}`, 'http_too_large');
        if ((err as { code?: unknown }).code === 'ESSRF') {
          throw new NonRetryableAgentError(`${call} was refused: the host is not public; an operator can allow it with CHAINPORT_HTTP_AGENT_ALLOW_HOSTS`, 'http_refused');
        }
        const why = timeout.aborted ? `no answer within ${opts.timeout} ms` : describeNetworkError(err);
        throw new RetryableAgentError(`${call} failed: ${why}`, 'http_unreachable');
      }
      if (answer.status < 200 || answer.status >= 300) {
        const message = `${call} answered ${answer.status}: ${redact(answer.body, secrets).slice(0, EXCERPT_CHARS)}`;
        if (answer.status >= 500 || answer.status === 429 || answer.status === 408) {
          // Only a positive delay may override the retry policy.
          throw new RetryableAgentError(message, 'http_error', retryAfterMs(answer.retryAfter) || undefined);
        }
        throw new NonRetryableAgentError(message, 'http_rejected');
      }
      emit(answer.body);
      addUsage({ cost: opts.cost });
      if (!answer.contentType.includes('json')) return { output: answer.body };
      try {
        return { output: JSON.parse(answer.body) as unknown };
      } catch {
        throw new RetryableAgentError(`${call} sent invalid JSON`, 'http_invalid_json');
      }
    },
  });
}

function expand(value: z.output<typeof chainText>, field: string, env: NodeJS.ProcessEnv): Expanded {
  try {
    return expandParts(value, env);
  } catch (err) {
    if (err instanceof EnvReferenceError) throw new NonRetryableAgentError(`${field} ${err.message}`, 'http_config');
    throw err;
  }
}

/**
 * The URL to call. Its scheme, credentials, host and port must be the ones the chain text alone
 * gives: the load-time check already refuses templates there, and this holds it for every attempt.
 */
function targetOf(url: Expanded): URL {
  let target: URL;
  let fixed: URL;
  try {
    target = new URL(url.text);
    fixed = new URL(url.chainOnly);
  } catch {
    throw new NonRetryableAgentError(`url ${url.shown} is not a valid URL`, 'http_config');
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new NonRetryableAgentError(`url ${url.shown} must be http or https`, 'http_config');
  const origin = (u: URL) => [u.protocol, u.username, u.password, u.host].join(' ');
  if (origin(target) !== origin(fixed)) throw new NonRetryableAgentError(`url ${url.shown}: a template changed its scheme, credentials, host or port`, 'http_config');
  return target;
}

/** The host as an allow-list entry is written: lower case, IPv6 without brackets. */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
}
