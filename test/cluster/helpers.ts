import { after, before } from 'node:test';
import { Connection, Client } from '@temporalio/client';
import { startCluster, type Cluster, type ClusterOptions } from '../../src/cluster/cluster.js';
import type { ServiceProcess } from '../../src/cluster/processes.js';
import { CALLERS } from '../helpers/api.js';
import { FIXTURE_CHAINS } from '../helpers/engine.js';

export interface ClusterSuite {
  cluster: Cluster;
  /** A Temporal client of the test itself, to look at what the cluster did (describe, history). */
  client: Client;
}

/**
 * The production topology for one `describe` block: PostgreSQL, the Temporal server built from Go
 * modules, API and worker processes — all real, on 127.0.0.1 and free ports, with the fixture chains
 * and the test callers. Never skipped: a missing PostgreSQL or Go toolchain fails the suite with why.
 */
export function useCluster(options: ClusterOptions = {}): ClusterSuite {
  const suite = {} as ClusterSuite;
  let connection: Connection | undefined;
  before(async () => {
    suite.cluster = await startCluster({
      apiPort: 0,
      isolate: true,
      log: () => undefined,
      ...options,
      env: {
        CHAINPORT_CHAINS_DIR: FIXTURE_CHAINS,
        CHAINPORT_API_KEYS: Object.entries(CALLERS).map(([id, key]) => `${id}:${key}`).join(','),
        // SIGTERM must not wait the production 30 s for in-flight agents.
        CHAINPORT_SHUTDOWN_GRACE: '2s',
        ...options.env,
      },
    });
    try {
      connection = await Connection.connect({ address: suite.cluster.temporal.address });
      suite.client = new Client({ connection, namespace: suite.cluster.namespace });
    } catch (err) {
      await suite.cluster.stop();
      throw err;
    }
  }, { timeout: 600_000 });
  after(async () => {
    await connection?.close();
    await suite.cluster?.stop();
  }, { timeout: 180_000 });
  return suite;
}

/** fetch against one API of the cluster with a caller's key (alice's by default) and JSON bodies. */
export function request(api: ServiceProcess, path: string, init: { method?: string; body?: unknown; key?: string; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${init.key ?? CALLERS.alice}`, ...init.headers };
  let body: string | undefined;
  if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] = 'application/json';
  }
  return fetch(`${api.url}${path}`, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body, signal: AbortSignal.timeout(init.timeoutMs ?? 30_000) });
}

export const AUTH = { authorization: `Bearer ${CALLERS.alice}` };
