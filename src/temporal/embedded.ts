import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { Config } from '../config.js';
import { resolveTemporalCli } from './cli.js';
import { startDevServer, type DevServer } from './dev-server.js';
import { setRetention } from './namespace.js';

/**
 * The embedded server `npm start` runs when TEMPORAL_ADDRESS is unset: a Temporal dev server
 * persisting to $CHAINPORT_DATA_DIR/temporal.db, with our search attributes and retention applied.
 */
export async function startEmbeddedTemporal(config: Config, log: (line: string) => void): Promise<DevServer> {
  const binary = await resolveTemporalCli({ explicitPath: config.temporal.cliPath, log });
  const server = await startDevServer({
    binary,
    port: config.temporal.port,
    uiPort: config.temporal.uiPort,
    dbFile: path.join(config.dataDir, 'temporal.db'),
    namespace: config.temporal.namespace,
  });
  try {
    const connection = await Connection.connect({ address: server.address });
    try {
      await setRetention(connection, config.temporal.namespace, config.retentionMs);
    } finally {
      await connection.close();
    }
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}
