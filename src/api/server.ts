import http, { type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import type { ChainCatalog } from '../chains/catalog.js';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { createLogger, type Logger } from '../logger.js';
import { checkBeforeStart } from '../preflight.js';
import { connectClient } from '../temporal/connection.js';
import { startTracing } from '../telemetry/tracing.js';
import { VERSION } from '../version.js';
import { createApp } from './app.js';
import { CallerRegistry, devCaller, loadCallers, type Caller } from './callers.js';
import { CallerSlots } from './caller-slots.js';
import { reloadCallersOnChange } from './callers-reload.js';
import { webhookResolver } from '../webhooks/resolve.js';
import { RateLimiters } from './middleware/rate-limit.js';
import { RESPOND_LINK_KEY, RespondLinks } from '../security/respond-links.js';
import { StreamTokens } from './stream-tokens.js';
import type { ApiDeps } from './deps.js';
import { RunReaders } from '../runs/stream/registry.js';
import { SecretBox } from '../webhooks/secret-box.js';
import { DurationEstimates } from '../runs/estimates.js';
import { PollCache } from '../runs/poll-cache.js';
import type { LocalRuns } from '../runs/local-runs.js';
import { RunningRuns } from '../runs/running-runs.js';
import { RunToucher } from './touch.js';
import type { TokenChannel } from '../tokens/channel.js';
import { redisTokenChannel } from '../tokens/redis.js';

export interface RunningApi {
  server: Server;
  url: string;
  /** The development key, when no caller is configured and the dev caller is in use. */
  devKey: string | undefined;
  /** This instance's SSE run readers; `readers.stats()` is the stream gauge (open streams, active readers). */
  readers: RunReaders;
  close(graceMs?: number): Promise<void>;
}

/** Callers from configuration, or — when none is configured — the development caller and its key. */
export function resolveCallers(config: Config): { callers: Caller[]; devKey?: string; devKeyFile?: string } {
  const callers = loadCallers(config);
  if (callers.length > 0) return { callers };
  if (config.api.requireCallers) {
    // Several API instances cannot share a development key: each would make its own, and a caller's key would work on some only.
    throw new ConfigError(
      'No API caller is configured and CHAINPORT_REQUIRE_CALLERS=true: set CHAINPORT_API_KEYS (caller_id:key,...) or point CHAINPORT_CALLERS_FILE at a callers file with entries (in docker compose: CHAINPORT_CALLERS_HOST_FILE).',
    );
  }
  const dev = devCaller(config);
  return { callers: [dev.caller], devKey: dev.key, devKeyFile: dev.file };
}

async function redisClient(url: string | undefined): Promise<unknown> {
  if (!url) return undefined;
  const { Redis } = await import('ioredis');
  return new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
}

export interface ApiOptions {
  config: Config;
  client: Client;
  catalog: ChainCatalog;
  log: Logger;
  /** SSE timings; tests shorten them. */
  stream?: { keepAliveMs?: number; heartbeatPollMs?: number };
  /**
   * Where agents push their output (the in-process channel when the worker shares this process);
   * otherwise the Redis channel when REDIS_URL is set, or none (output from heartbeats only).
   */
  tokens?: TokenChannel;
  /** Run progress and ends as this process's own worker announces them, when it runs every run (the embedded default). */
  localRuns?: LocalRuns;
}

/** Webhook URL checks one caller may have resolving at once; each holds a resolver query up to the DNS timeout. */
const MAX_LOOKUPS_PER_CALLER = 4;

/** Everything createApp needs, built from configuration: callers, limiters, secrets, stream readers. */
export function buildApiDeps(opts: ApiOptions & { redis?: unknown }): ApiDeps {
  const { config, client, catalog, log } = opts;
  const { callers, devKey } = resolveCallers(config);
  const secrets = SecretBox.fromConfig(config);
  return {
    config,
    client,
    catalog,
    log,
    callers: new CallerRegistry(callers),
    devKey,
    limiters: new RateLimiters(opts.redis),
    secrets,
    slots: new CallerSlots({ waits: config.api.maxWaitsPerCaller, streams: config.api.maxStreamsPerCaller, lookups: MAX_LOOKUPS_PER_CALLER }),
    resolveHost: webhookResolver(config.webhooks),
    streamTokens: new StreamTokens(secrets.deriveKey('stream-token')),
    respondLinks: new RespondLinks(secrets.deriveKey(RESPOND_LINK_KEY), config.api.publicUrl),
    cursorKey: secrets.deriveKey('list-cursor'),
    polls: new PollCache(client, { localRuns: opts.localRuns }),
    runningRuns: new RunningRuns(client),
    toucher: new RunToucher(client, config.runs.orphanTimeoutMs),
    estimates: new DurationEstimates(client, config.temporal.namespace),
    version: VERSION,
    readers: new RunReaders(client, { log, heartbeatPollMs: opts.stream?.heartbeatPollMs, tokens: opts.tokens }),
    sseKeepAliveMs: opts.stream?.keepAliveMs,
  };
}

/** Builds the app and listens on config.api.host:port (port 0 picks a free one). The only place that listens. */
export async function startApi(opts: ApiOptions & { port?: number }): Promise<RunningApi> {
  const { config } = opts;
  const redis = await redisClient(config.api.redisUrl);
  // A channel this function opened is closed with the API; one handed in belongs to the caller.
  const ownTokens = opts.tokens ? undefined : await redisTokenChannel(config, opts.log);
  const deps = buildApiDeps({ ...opts, redis, tokens: opts.tokens ?? ownTokens });
  const { readers, devKey } = deps;
  const app = createApp(deps);
  const { headersMs, requestMs, keepAliveMs } = config.api.timeouts;
  // requestTimeout bounds receiving a request (headers and body), not the response: sync waits and
  // streams outlive it. No socket idle timeout: a sync wait is silent for up to timeout_s.
  const server = http.createServer(
    {
      headersTimeout: headersMs,
      requestTimeout: requestMs,
      keepAliveTimeout: keepAliveMs,
      // How often Node checks those deadlines (default 30 s, which would stretch a 10 s one to 40 s).
      connectionsCheckingInterval: Math.min(1_000, headersMs),
    },
    app.callback(),
  );
  server.listen(opts.port ?? config.api.port, config.api.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const stopReloading = reloadCallersOnChange(config, deps.callers, opts.log);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.api.port;
  return {
    server,
    url: `http://${config.api.host}:${port}`,
    devKey,
    readers,
    async close(graceMs = config.worker.shutdownGraceMs) {
      stopReloading();
      // Event streams would otherwise hold the server open until the cutoff; clients resume with Last-Event-ID.
      readers.closeAll();
      // Stop accepting, let in-flight requests finish within the grace period, then cut what is left.
      const cutoff = setTimeout(() => server.closeAllConnections(), graceMs);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      clearTimeout(cutoff);
      if (redis) (redis as { disconnect(): void }).disconnect();
      await ownTokens?.close();
    },
  };
}

async function main(): Promise<void> {
  const config = loadConfig();
  const catalog = checkBeforeStart(config, { api: true });
  const log = createLogger(config, 'api');
  const tracing = await startTracing(config, 'chainport-api');
  const { client, connection } = await connectClient(config, tracing);
  const api = await startApi({ config, client, catalog, log });
  log.info({ url: api.url }, 'API listening');
  if (api.devKey) log.info(`No callers configured: using the development key stored in ${config.dataDir}/dev-api-key`);
  const stop = async () => {
    log.info('API stopping');
    await api.close();
    await connection.close();
    await tracing?.shutdown();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
