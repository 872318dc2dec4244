// `npm start`: the whole service in one process tree — an embedded Temporal dev server (unless
// TEMPORAL_ADDRESS points at a cluster), a worker and the API.
import { startApi } from './api/server.js';
import { loadLocalConfig, temporalAddress } from './config.js';
import { createLogger } from './logger.js';
import { checkBeforeStart } from './preflight.js';
import { connectClient, connectWorker } from './temporal/connection.js';
import type { DevServer } from './temporal/dev-server.js';
import { startEmbeddedTemporal } from './temporal/embedded.js';
import { installTemporalRuntime } from './temporal/runtime.js';
import { lowerWorkerThreadPriority } from './temporal/worker-priority.js';
import { startTracing } from './telemetry/tracing.js';
import { InProcessTokenChannel } from './tokens/in-process.js';
import { LocalRuns } from './runs/local-runs.js';
import { redisTokenChannel } from './tokens/redis.js';
import { describeProviders } from './llm/providers.js';
import { createWorker, prepareNamespace, withDemoDefaults } from './worker.js';

async function main(): Promise<void> {
  // With the embedded server this is local development (see loadLocalConfig).
  let config = withDemoDefaults(loadLocalConfig());
  // Every configuration error surfaces here, before the Temporal server or the worker exists to be stopped.
  const catalog = checkBeforeStart(config, { api: true });
  const log = createLogger(config, 'chainport');
  // This process orders its own shutdown (API, then worker, then server), so the SDK installs no signal handlers.
  installTemporalRuntime(log, { sdkMetricsAddress: config.sdkMetricsAddress, shutdownSignals: [] });
  // One provider for the API and the worker: a run's trace goes from the request to its last activity.
  const tracing = await startTracing(config, 'chainport');

  let server: DevServer | undefined;
  const cleanups: Array<() => Promise<unknown>> = [];
  const cleanUp = async () => {
    for (const step of cleanups.reverse()) await step().catch((err: unknown) => log.error({ err }, 'shutdown step failed'));
  };
  if (tracing) cleanups.push(() => tracing.shutdown());
  try {
    if (config.temporal.address === undefined) {
      log.info('starting the embedded Temporal dev server');
      server = await startEmbeddedTemporal(config, (line) => log.info(line));
      cleanups.push(() => server!.stop());
      log.info({ address: server.address, ui: server.uiUrl }, 'Temporal dev server ready');
      config = { ...config, temporalUiUrl: config.temporalUiUrl ?? server.uiUrl };
    }
    await prepareNamespace(config);
    const workerConnection = await connectWorker(config);
    cleanups.push(() => workerConnection.close());
    const { client, connection } = await connectClient(config, tracing);
    cleanups.push(() => connection.close());
    // Agents push their output straight to this process's stream readers; through Redis when REDIS_URL
    // is set, so API instances elsewhere get it too.
    const redisTokens = await redisTokenChannel(config, log);
    const tokens = redisTokens ?? new InProcessTokenChannel(log);
    cleanups.push(() => tokens.close());
    // With the embedded server and no Redis, this worker runs every run: the API hears each run's progress and end at once.
    const localRuns = server && !redisTokens ? new LocalRuns() : undefined;
    const worker = await createWorker({ config, connection: workerConnection, client, tokens, localRuns, tracing });
    const lowered = config.worker.nice > 0 ? lowerWorkerThreadPriority(config.worker.nice) : 0;
    if (lowered) log.info({ threads: lowered, nice: config.worker.nice }, 'worker threads run below the API');
    const running = worker.run();
    const api = await startApi({ config, client, catalog, log, tokens, localRuns });
    printWelcome(api.url, api.devKey, server?.uiUrl, temporalAddress(config), config.webhooks.allowPrivate, describeProviders(config.llm));
    // Stop in order: the API stops accepting, tells streams to reconnect and drains in-flight requests;
    // then the worker finishes or hands back its tasks; then Temporal stops.
    const stop = async (signal: NodeJS.Signals) => {
      log.info({ signal }, 'shutting down');
      await api.close();
      worker.shutdown();
    };
    process.once('SIGINT', (signal) => void stop(signal));
    process.once('SIGTERM', (signal) => void stop(signal));
    await running;
    log.info('worker drained, stopping Temporal');
  } finally {
    await cleanUp();
    log.info('stopped');
  }
}

function printWelcome(apiUrl: string, devKey: string | undefined, uiUrl: string | undefined, temporal: string, privateWebhooks: boolean, providers: string | undefined): void {
  const key = devKey ?? '<your API key>';
  const lines = [
    '',
    `  Chainport is running`,
    `    API         ${apiUrl}   (docs: ${apiUrl}/docs)`,
    `    Playground  ${apiUrl}/playground`,
    `    Temporal    ${temporal}${uiUrl ? `   (Web UI: ${uiUrl})` : ''}`,
    ...(devKey ? [`    Dev API key ${devKey}`] : []),
    `    Models      ${providers ?? 'no provider configured: llm chains are unavailable (set OPENAI_API_KEY, ANTHROPIC_API_KEY or CHAINPORT_OPENAI_COMPATIBLE)'}`,
    ...(privateWebhooks ? ['    Webhooks    private and loopback URLs allowed (CHAINPORT_WEBHOOK_ALLOW_PRIVATE=false refuses them)'] : []),
    '',
    '  Start a run:',
    `    curl -s -X POST ${apiUrl}/api/v1/chains/writing-pipeline -H 'Authorization: Bearer ${key}' -H 'Content-Type: application/json' -d '{"input":{"topic":"durable agents"}}'`,
    '',
    '  Or watch it live from the CLI:',
    `    npx chainport run writing-pipeline --input '{"topic":"agents"}' --stream`,
    '',
    '  Press Ctrl-C to stop.',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
