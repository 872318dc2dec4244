import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveTemporalCli } from '../../src/temporal/cli.js';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server.js';
import { freePort } from './ports.js';

export interface TestTemporal extends DevServer {
  port: number;
  dbFile: string | undefined;
  /** Starts a fresh server process on the same port and db file (for restart tests). */
  restart(): Promise<TestTemporal>;
}

// One resolution per test process: the finder's lines are said once, not once per suite.
let binary: Promise<string> | undefined;

/**
 * A real Temporal dev server on a random port, headless. With `persist`, it writes to a temp SQLite
 * file so it can be restarted mid-run. Never skipped: if the CLI cannot be had, the suite fails with why.
 */
export async function startTestTemporal(options: { persist?: boolean; port?: number; dbFile?: string } = {}): Promise<TestTemporal> {
  binary ??= resolveTemporalCli({ explicitPath: process.env.TEMPORAL_CLI_PATH });
  const port = options.port ?? (await freePort());
  const dbFile = options.dbFile ?? (options.persist ? path.join(mkdtempSync(path.join(os.tmpdir(), 'chainport-temporal-')), 'temporal.db') : undefined);
  const server = await startDevServer({ binary: await binary, port, dbFile, startTimeoutMs: 90_000 });
  return {
    ...server,
    port,
    dbFile,
    restart: async () => {
      await server.stop();
      return startTestTemporal({ port, dbFile });
    },
  };
}
