// The Temporal server of the production topology on this machine: schemas set up with
// temporal-sql-tool, then one `temporal-server start` process (frontend, history, matching and internal
// worker services) rendered from deploy/temporal/server.yaml — the file docker-compose.yml mounts too.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { ensureError } from '../errors.js';
import { isAlreadyExists } from '../temporal/errors.js';
import { durationFromMs } from '../temporal/payloads.js';
import { stopProcess, waitUntilServing } from '../temporal/dev-server.js';
import { ensureSearchAttributes } from '../temporal/search-attributes.js';
import { freeLowPort } from './ports.js';
import type { Postgres } from './postgres.js';
import { owned } from './processes.js';
import { runLogged } from './run.js';
import type { ServerBinaries } from './server-build.js';

const DEPLOY_DIR = fileURLToPath(new URL('../../deploy/temporal/', import.meta.url));
/** The server configuration template shared with docker-compose.yml. */
export const SERVER_CONFIG = path.join(DEPLOY_DIR, 'server.yaml');
export const DYNAMIC_CONFIG = path.join(DEPLOY_DIR, 'dynamic-config.yaml');

/** The databases Temporal keeps: its persistence and its visibility store. */
export const TEMPORAL_DATABASES = { persistence: 'temporal', visibility: 'temporal_visibility' } as const;

/** Temporal's schema setup job, shared with docker-compose.yml's `temporal-schema` service. */
export const SETUP_SCHEMA = path.join(DEPLOY_DIR, 'setup-schema.sh');

/**
 * Creates both databases when missing and migrates them to the newest schema of the server's module
 * (`create-database`, `setup-schema -v 0.0`, `update-schema -d …/versioned`), by running the same
 * script as the compose file's schema job, with the temporal-sql-tool built here.
 */
export async function setupSchemas(binaries: ServerBinaries, pg: Postgres, log: (line: string) => void): Promise<void> {
  const env = {
    ...process.env,
    PATH: `${path.dirname(binaries.sqlTool)}${path.delimiter}${process.env.PATH ?? ''}`,
    POSTGRES_SEEDS: pg.host,
    DB_PORT: String(pg.port),
    POSTGRES_USER: pg.user,
    POSTGRES_PWD: pg.password,
    DBNAME: TEMPORAL_DATABASES.persistence,
    VISIBILITY_DBNAME: TEMPORAL_DATABASES.visibility,
    SCHEMA_DIR: binaries.postgresSchema,
  };
  const { stdout } = await runLogged('sh', [SETUP_SCHEMA], { env, log, quiet: true });
  for (const line of stdout.split('\n')) if (line.startsWith('temporal-schema:')) log(line.replace(binaries.postgresSchema, `<server ${binaries.version}>/schema/postgresql/v12`));
}

export interface TemporalServerOptions {
  binaries: ServerBinaries;
  pg: Postgres;
  /** Frontend gRPC port; the other eight ports are chosen free. */
  port: number;
  /** Where the server's own log goes (appended across restarts). */
  logFile: string;
  numHistoryShards?: number;
}

export interface TemporalServer {
  address: string;
  pid(): number | undefined;
  /** SIGTERM (graceful), SIGKILL after 20 s; resolves once it exited. */
  stop(): Promise<void>;
  /** Starts the process again with the same ports and database, and waits until the frontend answers. */
  start(): Promise<void>;
}

/** The environment server.yaml is rendered from: the variable names of Temporal's own config template. */
async function serverEnv(options: TemporalServerOptions): Promise<NodeJS.ProcessEnv> {
  const { pg } = options;
  const ports = await Promise.all(Array.from({ length: 8 }, () => freeLowPort()));
  const names = ['FRONTEND_HTTP_PORT', 'FRONTEND_MEMBERSHIP_PORT', 'HISTORY_GRPC_PORT', 'HISTORY_MEMBERSHIP_PORT', 'MATCHING_GRPC_PORT', 'MATCHING_MEMBERSHIP_PORT', 'WORKER_GRPC_PORT', 'WORKER_MEMBERSHIP_PORT'];
  return {
    ...process.env,
    ...Object.fromEntries(names.map((name, i) => [name, String(ports[i])])),
    FRONTEND_GRPC_PORT: String(options.port),
    BIND_ON_IP: '127.0.0.1',
    POSTGRES_SEEDS: pg.host,
    DB_PORT: String(pg.port),
    POSTGRES_USER: pg.user,
    POSTGRES_PWD: pg.password,
    NUM_HISTORY_SHARDS: String(options.numHistoryShards ?? 4),
    DYNAMIC_CONFIG_FILE_PATH: DYNAMIC_CONFIG,
    LOG_LEVEL: process.env.TEMPORAL_LOG_LEVEL ?? 'warn',
  };
}

/** Starts the server and waits until its frontend answers (it does before any namespace exists). */
export async function startTemporalServer(options: TemporalServerOptions): Promise<TemporalServer> {
  const env = await serverEnv(options);
  const address = `127.0.0.1:${options.port}`;
  let child: ChildProcess | undefined;
  const start = async () => {
    const out = createWriteStream(options.logFile, { flags: 'a' });
    await new Promise((resolve) => out.once('open', resolve));
    const spawned = owned(spawn(options.binaries.server, ['--config-file', SERVER_CONFIG, 'start'], { env, stdio: ['ignore', out, out], detached: true }));
    spawned.once('exit', () => out.end());
    child = spawned;
    await waitUntilServing(address, spawned, (c) => c.workflowService.getSystemInfo({}), { timeoutMs: 90_000, what: 'Temporal server', hint: `see ${options.logFile}` });
  };
  await start();
  return {
    address,
    pid: () => (child && child.exitCode === null && child.signalCode === null ? child.pid : undefined),
    stop: async () => {
      if (child) await stopProcess(child, 20_000);
    },
    start,
  };
}

/**
 * Registers the namespace with the service's retention (kept if it exists) and Chainport's search
 * attributes, then waits until the namespace is usable: the frontend's namespace cache refreshes
 * every 10 s, so a just-registered namespace is "not found" for a moment.
 */
export async function prepareClusterNamespace(address: string, namespace: string, retentionMs: number): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    try {
      await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: durationFromMs(retentionMs) });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await ensureSearchAttributes(connection, namespace);
        await connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1 });
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`namespace ${namespace} was registered but is not usable after 60 s: ${ensureError(err).message}`, { cause: err });
        await setTimeout(1_000);
      }
    }
  } finally {
    await connection.close();
  }
}
