import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { durationMs } from './durations.js';
import { type PriceTable, defaultPrices, priceTableSchema } from './llm/prices.js';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
const port = z.coerce.number().int().min(0).max(65_535);
const positiveInt = z.coerce.number().int().positive();
const positiveDuration = durationMs.refine((ms) => ms > 0, 'must be longer than 0');
const optionalHttpUrl = optionalText.pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. http://jaeger:4318' }).optional());
/** OTLP over HTTP with protobuf bodies is the one transport the service ships an exporter for. */
const otlpProtocol = optionalText.pipe(
  z.enum(['http/protobuf'], { error: 'only http/protobuf is supported (OTLP over HTTP, usually port 4318); grpc and http/json are not' }).optional(),
);
/** The samplers of the OpenTelemetry specification (OTEL_TRACES_SAMPLER); the ratio ones read OTEL_TRACES_SAMPLER_ARG. */
const TRACE_SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const optionalUrl = optionalText.pipe(httpUrl.optional());

/** A name for an OpenAI-compatible server, as chain files write it in `openai-compatible:<name>/<model>`. */
const SERVER_NAME = /^[a-z0-9]+(?:[-_][a-z0-9]+)*$/;

/** `local=http://127.0.0.1:11434/v1,router=https://openrouter.ai/api/v1` as name → base URL. */
const compatibleServers = optionalText.transform((text, ctx) => {
  const servers: Record<string, string> = {};
  for (const entry of (text ?? '').split(',').map((e) => e.trim()).filter(Boolean)) {
    const at = entry.indexOf('=');
    const name = entry.slice(0, Math.max(at, 0)).trim();
    const url = httpUrl.safeParse(entry.slice(at + 1).trim());
    if (at < 1 || !SERVER_NAME.test(name) || !url.success || Object.hasOwn(servers, name)) {
      ctx.addIssue({ code: 'custom', message: `"${entry}" is not name=http(s)-URL with a unique lower-case name (e.g. local=http://127.0.0.1:11434/v1)` });
      return z.NEVER;
    }
    servers[name] = url.data;
  }
  return servers;
});

/**
 * Every environment variable the service reads, with its default. The README's configuration table
 * mirrors this schema; keep them together.
 */
const envSchema = z.object({
  CHAINPORT_DATA_DIR: z.string().default('./data'),
  CHAINPORT_CHAINS_DIR: z.string().default('./chains'),
  CHAINPORT_RETENTION: durationMs.prefault('72h'),
  TEMPORAL_ADDRESS: optionalText,
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('chainport'),
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_CLI_PATH: optionalText,
  TEMPORAL_TLS: bool.optional(),
  TEMPORAL_TLS_CERT_PATH: optionalText,
  TEMPORAL_TLS_KEY_PATH: optionalText,
  TEMPORAL_TLS_CA_PATH: optionalText,
  TEMPORAL_TLS_SERVER_NAME: optionalText,
  TEMPORAL_API_KEY: optionalText,
  CHAINPORT_TEMPORAL_CALL_TIMEOUT: durationMs.refine((ms) => ms > 0, 'must be longer than 0, or every Temporal call fails at once').prefault('10s'),
  CHAINPORT_WORKER_MAX_ACTIVITIES: positiveInt.default(200),
  CHAINPORT_WORKER_MAX_WORKFLOW_TASKS: positiveInt.default(40),
  CHAINPORT_WORKER_NICE: z.coerce.number().int().min(0).max(19).default(19),
  CHAINPORT_HEARTBEAT_THROTTLE: durationMs.prefault('200ms'),
  CHAINPORT_SHUTDOWN_GRACE: durationMs.prefault('30s'),
  OPENAI_BASE_URL: optionalUrl,
  OPENAI_API_KEY: optionalText,
  ANTHROPIC_BASE_URL: optionalUrl,
  ANTHROPIC_API_KEY: optionalText,
  CHAINPORT_OPENAI_COMPATIBLE: compatibleServers,
  CHAINPORT_LLM_PRICES: optionalText,
  CHAINPORT_LLM_PRICES_FILE: optionalText,
  PORT: port.default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  CHAINPORT_PUBLIC_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. https://chainport.example.com' })
    .optional(),
  CHAINPORT_API_KEYS: optionalText,
  CHAINPORT_CALLERS_FILE: optionalText,
  CHAINPORT_REQUIRE_CALLERS: bool.default(false),
  CHAINPORT_RATE_LIMIT_PER_MIN: positiveInt.default(600),
  CHAINPORT_MAX_CONCURRENT_RUNS: positiveInt.default(50),
  CHAINPORT_CORS_ORIGINS: optionalText,
  CHAINPORT_MAX_BODY_BYTES: positiveInt.default(1024 * 1024),
  CHAINPORT_MAX_WAITS_PER_CALLER: positiveInt.default(100),
  CHAINPORT_MAX_STREAMS_PER_CALLER: positiveInt.default(100),
  CHAINPORT_STREAM_MAX_BUFFER_BYTES: positiveInt.default(8 * 1024 * 1024),
  CHAINPORT_AUTH_FAILURES_PER_MIN: positiveInt.default(20),
  CHAINPORT_HEADERS_TIMEOUT: positiveDuration.prefault('10s'),
  CHAINPORT_BODY_TIMEOUT: positiveDuration.prefault('10s'),
  CHAINPORT_REQUEST_TIMEOUT: positiveDuration.prefault('30s'),
  CHAINPORT_KEEP_ALIVE_TIMEOUT: positiveDuration.prefault('5s'),
  CHAINPORT_DNS_SERVERS: optionalText,
  CHAINPORT_DNS_TIMEOUT: positiveDuration.prefault('2s'),
  REDIS_URL: optionalText,
  CHAINPORT_WEBHOOK_MAX_ATTEMPTS: positiveInt.default(8),
  CHAINPORT_WEBHOOK_INITIAL_INTERVAL: durationMs.prefault('2s'),
  CHAINPORT_WEBHOOK_MAX_INTERVAL: durationMs.prefault('10m'),
  CHAINPORT_WEBHOOK_TIMEOUT: durationMs.prefault('5s'),
  CHAINPORT_WEBHOOK_ALLOW_PRIVATE: bool.default(false),
  CHAINPORT_HTTP_AGENT_ALLOW_HOSTS: optionalText,
  CHAINPORT_WEBHOOK_MAX_REDELIVERIES: z.coerce.number().int().nonnegative().default(10),
  CHAINPORT_WEBHOOK_MAX_OPEN_PER_CALLER: positiveInt.default(1000),
  CHAINPORT_SECRET_KEY: optionalText,
  CHAINPORT_METRICS_TOKEN: optionalText,
  CHAINPORT_WORKER_METRICS_PORT: port.optional(),
  CHAINPORT_WORKER_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  TEMPORAL_SDK_METRICS_ADDRESS: optionalText,
  TEMPORAL_UI_URL: optionalText,
  CHAINPORT_ORPHAN_TIMEOUT: durationMs.prefault('5m'),
  CHAINPORT_MAX_RUN_LIFETIME: durationMs.prefault('1h'),
  CHAINPORT_RERUN_BATCH_RATE: positiveInt.max(1000).default(20),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // Tracing (OpenTelemetry's own names): on only when an OTLP endpoint is set.
  OTEL_SDK_DISABLED: bool.default(false),
  OTEL_TRACES_EXPORTER: optionalText.pipe(z.enum(['otlp', 'none'], { error: 'must be otlp or none' }).optional()),
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalHttpUrl,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalHttpUrl,
  OTEL_EXPORTER_OTLP_PROTOCOL: otlpProtocol,
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: otlpProtocol,
  OTEL_SERVICE_NAME: optionalText,
  OTEL_TRACES_SAMPLER: optionalText.pipe(z.enum(TRACE_SAMPLERS, { error: `must be one of ${TRACE_SAMPLERS.join(', ')}` }).default('parentbased_always_on')),
  OTEL_TRACES_SAMPLER_ARG: optionalText.pipe(z.string().transform(Number).pipe(z.number({ error: 'must be a number from 0 to 1' }).min(0, 'must be from 0 to 1').max(1, 'must be from 0 to 1')).optional()),
})
  // Node requires it, and a body deadline past the request deadline would never be reached.
  .refine((e) => e.CHAINPORT_HEADERS_TIMEOUT <= e.CHAINPORT_REQUEST_TIMEOUT && e.CHAINPORT_BODY_TIMEOUT <= e.CHAINPORT_REQUEST_TIMEOUT, {
    message: 'must be at least CHAINPORT_HEADERS_TIMEOUT and CHAINPORT_BODY_TIMEOUT',
    path: ['CHAINPORT_REQUEST_TIMEOUT'],
  });

export type Env = z.infer<typeof envSchema>;

export interface Config {
  dataDir: string;
  chainsDir: string;
  retentionMs: number;
  temporal: {
    /** Undefined means "no cluster given": `npm start` embeds a dev server, worker/api use 127.0.0.1:<port>. */
    address: string | undefined;
    namespace: string;
    taskQueue: string;
    port: number;
    uiPort: number;
    cliPath: string | undefined;
    tls: { certPath?: string; keyPath?: string; caPath?: string; serverName?: string } | undefined;
    apiKey: string | undefined;
    /** Deadline of one client call (describe, query, signal, start, cancel, list, count); long-polls get longer. */
    callTimeoutMs: number;
  };
  worker: {
    maxActivities: number;
    maxWorkflowTasks: number;
    /** How many nice values below the API the worker's threads run when `npm start` runs both; 0 leaves them level. */
    nice: number;
    heartbeatThrottleMs: number;
    shutdownGraceMs: number;
  };
  llm: LlmConfig;
  api: {
    port: number;
    /** Interface to listen on: 127.0.0.1 by default; 0.0.0.0 in containers. */
    host: string;
    /** Where partners reach the API: the base of the respond_url links webhooks carry. */
    publicUrl: string;
    /** `caller_id:key` pairs from CHAINPORT_API_KEYS. */
    apiKeys: string | undefined;
    callersFile: string | undefined;
    /** Refuse to start without a configured caller instead of falling back to a per-process development key. */
    requireCallers: boolean;
    rateLimitPerMin: number;
    maxConcurrentRuns: number;
    corsOrigins: string[];
    maxBodyBytes: number;
    redisUrl: string | undefined;
    /** Sync requests one caller may have waiting at once; streams likewise. */
    maxWaitsPerCaller: number;
    maxStreamsPerCaller: number;
    /** Bytes queued for a stream's client that does not read before the stream is ended (it resumes with Last-Event-ID). */
    streamMaxBufferBytes: number;
    /** Failed authentications one client address may make per minute before it is answered 429. */
    authFailuresPerMin: number;
    /** Socket deadlines; Node's requestTimeout covers receiving the request only, so long responses are unaffected. */
    timeouts: { headersMs: number; bodyMs: number; requestMs: number; keepAliveMs: number };
  };
  webhooks: {
    maxAttempts: number;
    initialIntervalMs: number;
    maxIntervalMs: number;
    timeoutMs: number;
    /** Lets webhooks reach loopback and private addresses: local development and tests only. */
    allowPrivate: boolean;
    /** Redeliveries one delivery may be asked for; each sends up to maxAttempts requests to the receiver. */
    maxRedeliveries: number;
    /** Deliveries of one caller that may be in progress when a redelivery is asked for. */
    maxOpenPerCaller: number;
    /** DNS for webhook hosts: servers (`ip` or `ip:port`; unset: the system's) and a deadline per look-up. */
    dns: { servers: string[] | undefined; timeoutMs: number };
  };
  httpAgent: {
    /** Host names and IPs http agents may reach even when they are loopback or private (lower case, IPv6 without brackets). */
    allowHosts: string[];
    /** Values for `${CHAINPORT_AGENT_*}` names the environment leaves unset (the demo's endpoint). */
    envDefaults: Readonly<Record<string, string>>;
  };
  /** Bearer token GET /metrics requires when set; required when HOST is not loopback. */
  metricsToken: string | undefined;
  /** Port a standalone worker serves its /metrics on; unset: none. */
  workerMetricsPort: number | undefined;
  /** Interface of the worker's /metrics, which has no auth: loopback unless the network around it is private. */
  workerMetricsHost: string;
  /** host:port where the Temporal SDK's own Prometheus metrics are served (worker processes); a bare port binds 127.0.0.1; unset: off. */
  sdkMetricsAddress: string | undefined;
  /** Temporal Web UI base URL, for temporal_ui_url on runs; the embedded server's UI when unset there. */
  temporalUiUrl: string | undefined;
  runs: {
    /** Async and stream runs without a webhook that nobody polls or watches for this long are cancelled. */
    orphanTimeoutMs: number;
    /** Upper bound on every run's lifetime, whatever its chain's timeout says. */
    maxLifetimeMs: number;
    /** How many reruns a rerun batch starts per second at most. */
    rerunBatchRate: number;
  };
  /** Base64 of 32 bytes that encrypts webhook secrets in workflow history; unset: a key kept in the data folder. */
  secretKey: string | undefined;
  logLevel: Env['LOG_LEVEL'];
  /** OpenTelemetry tracing; undefined (off, nothing loaded) unless an OTLP endpoint is set. */
  tracing: TracingSettings | undefined;
}

export interface TracingSettings {
  /** Where spans are POSTed (OTLP/HTTP protobuf): the traces endpoint as given, or the base endpoint + /v1/traces. */
  tracesUrl: string;
  /** OTEL_SERVICE_NAME; unset: each process names itself (chainport-api, chainport-worker, chainport). */
  serviceName: string | undefined;
  sampler: Env['OTEL_TRACES_SAMPLER'];
  /** The ratio of the traceidratio samplers, 1 when unset. */
  samplerRatio: number;
}

/** Where one provider is reached; a provider without an entry is not configured. */
export interface ProviderEndpoint {
  baseUrl: string | undefined;
  apiKey: string | undefined;
}

/** The model providers the llm kind may call, and what their tokens cost. */
export interface LlmConfig {
  openai: ProviderEndpoint | undefined;
  anthropic: ProviderEndpoint | undefined;
  /** OpenAI-compatible servers (Ollama, vLLM, LM Studio, OpenRouter…) by the name chain files use. */
  compatible: Readonly<Record<string, ProviderEndpoint>>;
  /** USD per million tokens by `provider:model`. */
  prices: PriceTable;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * The configuration of `npm start` with its embedded Temporal server, i.e. local development: webhook
 * receivers such as `chainport webhooks listen` run on this machine, so private addresses are allowed,
 * and http agents may reach 127.0.0.1 and localhost (the data-enrichment demo endpoint) and no other
 * private host — unless the variables say otherwise. With TEMPORAL_ADDRESS set, loadConfig as is.
 */
export function loadLocalConfig(env: NodeJS.ProcessEnv = process.env): Config {
  if (env.TEMPORAL_ADDRESS) return loadConfig(env);
  return loadConfig({ CHAINPORT_WEBHOOK_ALLOW_PRIVATE: 'true', CHAINPORT_HTTP_AGENT_ALLOW_HOSTS: '127.0.0.1,localhost', ...env });
}

/**
 * The environment `${NAME}` placeholders of http agents expand from (only CHAINPORT_AGENT_* names
 * may be referenced; see agent-env.ts), with `defaults` under it. Read at each call, not once at
 * start: the values never enter workflow history, and an operator's change reaches the next call.
 */
export function agentEnvironment(defaults: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  return { ...defaults, ...process.env };
}

/** Parses the environment once; throws ConfigError naming each bad variable and what it expects. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}\nFix these environment variables and start again.`);
  }
  const e = parsed.data;
  requireSecrets(e);
  return {
    dataDir: path.resolve(e.CHAINPORT_DATA_DIR),
    chainsDir: path.resolve(e.CHAINPORT_CHAINS_DIR),
    retentionMs: e.CHAINPORT_RETENTION,
    temporal: temporalSettings(e),
    worker: {
      maxActivities: e.CHAINPORT_WORKER_MAX_ACTIVITIES,
      maxWorkflowTasks: e.CHAINPORT_WORKER_MAX_WORKFLOW_TASKS,
      nice: e.CHAINPORT_WORKER_NICE,
      heartbeatThrottleMs: e.CHAINPORT_HEARTBEAT_THROTTLE,
      shutdownGraceMs: e.CHAINPORT_SHUTDOWN_GRACE,
    },
    llm: llmSettings(e, env),
    api: apiSettings(e),
    webhooks: webhookSettings(e),
    httpAgent: { allowHosts: hostList(e.CHAINPORT_HTTP_AGENT_ALLOW_HOSTS), envDefaults: {} },
    secretKey: e.CHAINPORT_SECRET_KEY,
    metricsToken: e.CHAINPORT_METRICS_TOKEN,
    workerMetricsPort: e.CHAINPORT_WORKER_METRICS_PORT,
    workerMetricsHost: e.CHAINPORT_WORKER_METRICS_HOST,
    sdkMetricsAddress: e.TEMPORAL_SDK_METRICS_ADDRESS && (/^\d+$/.test(e.TEMPORAL_SDK_METRICS_ADDRESS) ? `127.0.0.1:${e.TEMPORAL_SDK_METRICS_ADDRESS}` : e.TEMPORAL_SDK_METRICS_ADDRESS),
    temporalUiUrl: e.TEMPORAL_UI_URL,
    runs: { orphanTimeoutMs: e.CHAINPORT_ORPHAN_TIMEOUT, maxLifetimeMs: e.CHAINPORT_MAX_RUN_LIFETIME, rerunBatchRate: e.CHAINPORT_RERUN_BATCH_RATE },
    logLevel: e.LOG_LEVEL,
    tracing: tracingSettings(e),
  };
}

/** Tracing is on when an OTLP endpoint is set and neither OTEL_SDK_DISABLED nor OTEL_TRACES_EXPORTER=none turns it off. */
function tracingSettings(e: Env): TracingSettings | undefined {
  if (e.OTEL_SDK_DISABLED || e.OTEL_TRACES_EXPORTER === 'none') return undefined;
  const tracesUrl = e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (e.OTEL_EXPORTER_OTLP_ENDPOINT && `${e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`);
  if (tracesUrl === undefined) return undefined;
  return { tracesUrl, serviceName: e.OTEL_SERVICE_NAME, sampler: e.OTEL_TRACES_SAMPLER, samplerRatio: e.OTEL_TRACES_SAMPLER_ARG ?? 1 };
}

/** Where Temporal is and how to reach it (TLS when asked for, or implied by a certificate or an API key). */
function temporalSettings(e: Env): Config['temporal'] {
  const tlsWanted = e.TEMPORAL_TLS ?? Boolean(e.TEMPORAL_TLS_CERT_PATH || e.TEMPORAL_API_KEY);
  return {
    address: e.TEMPORAL_ADDRESS,
    namespace: e.TEMPORAL_NAMESPACE,
    taskQueue: e.TEMPORAL_TASK_QUEUE,
    port: e.TEMPORAL_PORT,
    uiPort: e.TEMPORAL_UI_PORT,
    cliPath: e.TEMPORAL_CLI_PATH,
    tls: tlsWanted
      ? {
          certPath: e.TEMPORAL_TLS_CERT_PATH,
          keyPath: e.TEMPORAL_TLS_KEY_PATH,
          caPath: e.TEMPORAL_TLS_CA_PATH,
          serverName: e.TEMPORAL_TLS_SERVER_NAME,
        }
      : undefined,
    apiKey: e.TEMPORAL_API_KEY,
    callTimeoutMs: e.CHAINPORT_TEMPORAL_CALL_TIMEOUT,
  };
}

/** The HTTP API: where it listens, who may call it, and the limits every caller gets. */
function apiSettings(e: Env): Config['api'] {
  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl: e.CHAINPORT_PUBLIC_URL ?? `http://${e.HOST.includes(':') ? `[${e.HOST}]` : e.HOST}:${e.PORT}`,
    apiKeys: e.CHAINPORT_API_KEYS,
    callersFile: e.CHAINPORT_CALLERS_FILE,
    requireCallers: e.CHAINPORT_REQUIRE_CALLERS,
    rateLimitPerMin: e.CHAINPORT_RATE_LIMIT_PER_MIN,
    maxConcurrentRuns: e.CHAINPORT_MAX_CONCURRENT_RUNS,
    corsOrigins: (e.CHAINPORT_CORS_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean),
    maxBodyBytes: e.CHAINPORT_MAX_BODY_BYTES,
    redisUrl: e.REDIS_URL,
    maxWaitsPerCaller: e.CHAINPORT_MAX_WAITS_PER_CALLER,
    maxStreamsPerCaller: e.CHAINPORT_MAX_STREAMS_PER_CALLER,
    streamMaxBufferBytes: e.CHAINPORT_STREAM_MAX_BUFFER_BYTES,
    authFailuresPerMin: e.CHAINPORT_AUTH_FAILURES_PER_MIN,
    timeouts: {
      headersMs: e.CHAINPORT_HEADERS_TIMEOUT,
      bodyMs: e.CHAINPORT_BODY_TIMEOUT,
      requestMs: e.CHAINPORT_REQUEST_TIMEOUT,
      keepAliveMs: e.CHAINPORT_KEEP_ALIVE_TIMEOUT,
    },
  };
}

/** Webhook delivery: retries, timeouts, the address guard and its DNS. */
function webhookSettings(e: Env): Config['webhooks'] {
  return {
    maxAttempts: e.CHAINPORT_WEBHOOK_MAX_ATTEMPTS,
    initialIntervalMs: e.CHAINPORT_WEBHOOK_INITIAL_INTERVAL,
    maxIntervalMs: e.CHAINPORT_WEBHOOK_MAX_INTERVAL,
    timeoutMs: e.CHAINPORT_WEBHOOK_TIMEOUT,
    allowPrivate: e.CHAINPORT_WEBHOOK_ALLOW_PRIVATE,
    maxRedeliveries: e.CHAINPORT_WEBHOOK_MAX_REDELIVERIES,
    maxOpenPerCaller: e.CHAINPORT_WEBHOOK_MAX_OPEN_PER_CALLER,
    dns: { servers: e.CHAINPORT_DNS_SERVERS?.split(',').map((s) => s.trim()).filter(Boolean), timeoutMs: e.CHAINPORT_DNS_TIMEOUT },
  };
}

/** `a.example, 10.0.0.5,[::1]` as the forms URL host names take: lower case, IPv6 without brackets. */
function hostList(text: string | undefined): string[] {
  return (text ?? '').split(',').map((host) => host.trim().replace(/^\[|\]$/g, '').toLowerCase()).filter(Boolean);
}

/** Whether a listen address is reachable from this machine only. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Settings that are optional on one machine but required once others can reach it. */
function requireSecrets(e: Env): void {
  if (!isLoopback(e.HOST) && e.CHAINPORT_METRICS_TOKEN === undefined) {
    throw new ConfigError(
      `CHAINPORT_METRICS_TOKEN is required when HOST (${e.HOST}) is not loopback: GET /metrics would be open to the network. Set a long random token (openssl rand -hex 32) and give it to your scraper.`,
    );
  }
  if (e.TEMPORAL_ADDRESS !== undefined && e.CHAINPORT_SECRET_KEY === undefined) {
    throw new ConfigError(
      'CHAINPORT_SECRET_KEY is required with TEMPORAL_ADDRESS: every API and worker of a cluster must seal webhook secrets and sign stream tokens with the same key, and a per-host key file would break them across hosts. Set it to `openssl rand -base64 32` on every process.',
    );
  }
}

/**
 * The providers: one is configured once its key or base URL is set (a local server may need no key).
 * Each OpenAI-compatible server's key comes from CHAINPORT_OPENAI_COMPATIBLE_<NAME>_API_KEY, read from
 * `env` by name because the names are the operator's.
 */
function llmSettings(e: Env, env: NodeJS.ProcessEnv): LlmConfig {
  const endpoint = (baseUrl: string | undefined, apiKey: string | undefined) => (baseUrl || apiKey ? { baseUrl, apiKey } : undefined);
  const compatible: Record<string, ProviderEndpoint> = {};
  for (const [name, baseUrl] of Object.entries(e.CHAINPORT_OPENAI_COMPATIBLE)) {
    compatible[name] = { baseUrl, apiKey: env[compatibleKeyVariable(name)]?.trim() || undefined };
  }
  return {
    openai: endpoint(e.OPENAI_BASE_URL, e.OPENAI_API_KEY),
    anthropic: endpoint(e.ANTHROPIC_BASE_URL, e.ANTHROPIC_API_KEY),
    compatible,
    // Later wins: the shipped table, then the operator's file, then the inline JSON.
    prices: {
      ...defaultPrices,
      ...(e.CHAINPORT_LLM_PRICES_FILE && parsePrices('CHAINPORT_LLM_PRICES_FILE', readPriceFile(e.CHAINPORT_LLM_PRICES_FILE))),
      ...(e.CHAINPORT_LLM_PRICES && parsePrices('CHAINPORT_LLM_PRICES', e.CHAINPORT_LLM_PRICES)),
    },
  };
}

/** The variable holding the API key of the OpenAI-compatible server `name` (`router` → CHAINPORT_OPENAI_COMPATIBLE_ROUTER_API_KEY). */
export function compatibleKeyVariable(name: string): string {
  return `CHAINPORT_OPENAI_COMPATIBLE_${name.toUpperCase().replace(/-/g, '_')}_API_KEY`;
}

function readPriceFile(file: string): string {
  try {
    return readFileSync(path.resolve(file), 'utf8');
  } catch (err) {
    throw new ConfigError(`CHAINPORT_LLM_PRICES_FILE: cannot read ${file} (${err instanceof Error ? err.message : String(err)}).`);
  }
}

function parsePrices(variable: string, json: string): PriceTable {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new ConfigError(`${variable} must be JSON like {"openai:gpt-4o-mini":{"input":0.15,"output":0.6}} (USD per million tokens).`);
  }
  const prices = priceTableSchema.safeParse(value);
  if (!prices.success) {
    throw new ConfigError(`${variable}: ${prices.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return prices.data;
}

/** The address workers and API processes dial when none is configured: the embedded dev server's. */
export function temporalAddress(config: Config): string {
  return config.temporal.address ?? `127.0.0.1:${config.temporal.port}`;
}
