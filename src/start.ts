// `npm start`: the whole service in one process tree — an embedded Temporal dev server (unless
// TEMPORAL_ADDRESS points at a cluster), a worker and the API.
import { createAgentKinds } from './activities/agents/registry.js';
import { loadChains } from './chains/load.js';
import { loadConfig, temporalAddress } from './config.js';
import { createLogger } from './logger.js';
import { connectWorker } from './temporal/connection.js';
import type { DevServer } from './temporal/dev-server.js';
import { startEmbeddedTemporal } from './temporal/embedded.js';
import { installTemporalRuntime } from './temporal/runtime.js';
import { createWorker, prepareNamespace } from './worker.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config, 'chainport');
  installTemporalRuntime(log);
  const catalog = loadChains(config, createAgentKinds(config));

  let server: DevServer | undefined;
  if (config.temporal.address === undefined) {
    log.info('starting the embedded Temporal dev server');
    server = await startEmbeddedTemporal(config, (line) => log.info(line));
    log.info({ address: server.address, ui: server.uiUrl }, 'Temporal dev server ready');
  }
  const stopServer = async () => server?.stop();
  try {
    await prepareNamespace(config);
    const connection = await connectWorker(config);
    const worker = await createWorker({ config, connection });
    const running = worker.run();
    log.info(
      { temporal: temporalAddress(config), ui: server?.uiUrl, chains: catalog.chains().map((c) => c.name) },
      'Chainport is running; press Ctrl-C to stop',
    );
    // Worker.run resolves once the SDK's own SIGINT/SIGTERM handler has drained the worker.
    await running;
    await connection.close();
  } finally {
    await stopServer();
    log.info('stopped');
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
