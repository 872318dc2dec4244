// The production topology on one machine: PostgreSQL → Temporal server (its four services in one
// process) → N worker processes and M API processes. `npm run cluster`, `npm run test:cluster` and
// `npm run bench -- --cluster` all start it through startCluster.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { ensureError } from '../errors.js';
import { defaultCacheDir } from '../temporal/cli.js';
import { startPostgres, type Postgres } from './postgres.js';
import { freePort, portInUse } from './ports.js';
import { logFileFor, startServiceProcess, type EntryMode, type ServiceProcess } from './processes.js';
import { ensureTemporalServer } from './server-build.js';
import { prepareClusterNamespace, setupSchemas, startTemporalServer, type TemporalServer } from './temporal-server.js';

export interface ClusterOptions {
  apis?: number;
  workers?: number;
  /** Port of the first API; the others follow it. 0: free ports (tests). */
  apiPort?: number;
  /** Frontend gRPC port of the Temporal server; 0 or omitted: a free one. */
  temporalPort?: number;
  namespace?: string;
  taskQueue?: string;
  /** Retention of the namespace, as CHAINPORT_RETENTION gives it. */
  retentionMs?: number;
  /** Environment every API and worker process gets on top of the base (this process's, unless `isolate`). */
  env?: Record<string, string>;
  /** Start the processes from a clean environment (PATH, HOME, …) instead of this process's: tests. */
  isolate?: boolean;
  entry?: EntryMode;
  appDir?: string;
  /** Logs of every process, the Temporal server's included. Default: a new temporary folder. */
  logDir?: string;
  cacheDir?: string;
  log?: (line: string) => void;
}

export interface Cluster {
  postgres: Postgres;
  temporal: TemporalServer;
  apis: ServiceProcess[];
  workers: ServiceProcess[];
  namespace: string;
  taskQueue: string;
  /** The key every API and worker seals webhook secrets with (generated per cluster). */
  secretKey: string;
  logDir: string;
  /** The environment the API and worker processes were started with, before their own PORT. */
  processEnv: NodeJS.ProcessEnv;
  /** Starts one more worker process against the cluster. */
  addWorker(): Promise<ServiceProcess>;
  /** Stops everything in order: APIs, workers, Temporal, PostgreSQL (whose temporary data is deleted). */
  stop(): Promise<void>;
}

/** What a process of the cluster inherits when `isolate` is set: enough to run, nothing that steers it. */
const KEPT_IN_ISOLATION = /^(PATH|HOME|TMPDIR|LANG|LC_ALL|TZ|NODE_OPTIONS|CHAINPORT_CACHE_DIR|XDG_CACHE_HOME)$/;

/**
 * Starts the whole topology and resolves once every API answers /readyz. On any failure, whatever had
 * started is stopped before the error is rethrown.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const namespace = options.namespace ?? 'default';
  const taskQueue = options.taskQueue ?? 'chainport';
  const logDir = options.logDir ?? mkdtempSync(path.join(os.tmpdir(), 'chainport-cluster-'));
  mkdirSync(logDir, { recursive: true });
  const secretKey = randomBytes(32).toString('base64');
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch((err: unknown) => log(`cluster: a stop step failed: ${ensureError(err).message}`));
  };

  try {
    const binaries = await ensureTemporalServer({ cacheDir: options.cacheDir ?? defaultCacheDir(), log });
    const postgres = await startPostgres({ port: await freePort(), log });
    stops.push(() => postgres.destroy());
    log(`PostgreSQL: 127.0.0.1:${postgres.port} (data in ${postgres.dataDir}, deleted on stop)`);
    await setupSchemas(binaries, postgres, log);

    const temporalPort = options.temporalPort || (await freePort());
    if (await portInUse(temporalPort)) throw new Error(`port ${temporalPort} for the Temporal frontend is taken; pass another (--temporal-port)`);
    const temporal = await startTemporalServer({ binaries, pg: postgres, port: temporalPort, logFile: path.join(logDir, 'temporal-server.log') });
    stops.push(() => temporal.stop());
    await prepareClusterNamespace(temporal.address, namespace, options.retentionMs ?? 72 * 3_600_000);
    log(`Temporal server ${binaries.version}: ${temporal.address} (namespace ${namespace}, search attributes registered)`);

    const apiCount = options.apis ?? 2;
    const apiPorts: number[] = [];
    for (let i = 0; i < apiCount; i++) apiPorts.push(options.apiPort ? options.apiPort + i : await freePort());
    for (const port of apiPorts) if (await portInUse(port)) throw new Error(`port ${port} for an API is taken; stop what uses it or pass --api-port`);

    const base: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) if (!options.isolate || KEPT_IN_ISOLATION.test(key)) base[key] = value;
    const processEnv: NodeJS.ProcessEnv = {
      ...base,
      // The data-enrichment demo chain calls the first API's demo endpoint, as the compose file's `api`.
      CHAINPORT_AGENT_ENRICH_URL: `http://127.0.0.1:${apiPorts[0]}/demo/enrich`,
      CHAINPORT_HTTP_AGENT_ALLOW_HOSTS: '127.0.0.1',
      ...options.env,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: namespace,
      TEMPORAL_TASK_QUEUE: taskQueue,
      CHAINPORT_SECRET_KEY: secretKey,
      HOST: '127.0.0.1',
      LOG_LEVEL: options.env?.LOG_LEVEL ?? 'info',
    };
    delete processEnv.PORT;
    let workerCount = 0;
    const addWorker = async () => {
      const name = `worker-${++workerCount}`;
      const worker = await startServiceProcess({ role: 'worker', name, env: processEnv, logFile: logFileFor(logDir, name), entry: options.entry, appDir: options.appDir });
      stops.push(() => worker.stop());
      return worker;
    };
    const workers: ServiceProcess[] = [];
    // One at a time: the first builds the workflow bundle (when not cached) that the others then load.
    for (let i = 0; i < (options.workers ?? 2); i++) workers.push(await addWorker());
    const apis = await Promise.all(
      apiPorts.map(async (port, i) => {
        const name = `api-${i + 1}`;
        const api = await startServiceProcess({ role: 'api', name, env: { ...processEnv, PORT: String(port) }, logFile: logFileFor(logDir, name), entry: options.entry, appDir: options.appDir });
        stops.push(() => api.stop());
        return api;
      }),
    );
    for (const api of apis) await waitReady(api.url!);
    return { postgres, temporal, apis, workers, namespace, taskQueue, secretKey, logDir, processEnv, addWorker, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** Polls GET /readyz until 200: Temporal reachable and a worker polling the task queue. */
async function waitReady(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) });
      if (res.ok) return;
      last = `${res.status}`;
    } catch (err) {
      last = ensureError(err).message;
    }
    await setTimeout(500);
  }
  throw new Error(`${url}/readyz did not answer 200 within 60 s (last: ${last})`);
}
