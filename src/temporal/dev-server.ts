import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { devServerSearchAttributeArgs } from './search-attributes.js';
import { ensureError } from '../errors.js';

export interface DevServerOptions {
  binary: string;
  port: number;
  /** Web UI port; omit for a headless server (tests). */
  uiPort?: number;
  /** SQLite file to persist to; omit for an in-memory server. */
  dbFile?: string;
  namespace?: string;
  /** How long to wait for the frontend to answer. A cold start on 2 cores can take 10 s or more. */
  startTimeoutMs?: number;
  /** Where the server's own output goes; defaults to being dropped. */
  output?: 'inherit' | 'ignore';
}

export interface DevServer {
  address: string;
  uiUrl: string | undefined;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** The `temporal server start-dev` arguments for `options`: a fast, durable single-node server. */
export function devServerArgs(options: DevServerOptions): string[] {
  const namespace = options.namespace ?? 'default';
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(options.port), '--log-level', 'warn'];
  args.push(...(options.uiPort === undefined ? ['--headless'] : ['--ui-port', String(options.uiPort)]));
  if (options.dbFile) {
    args.push('--db-filename', options.dbFile);
    // SQLite's default rollback journal fsyncs twice per commit and caps the server near 10 runs/s on
    // these machines. WAL with synchronous=normal commits with one append: a crash of the server (or of
    // anything but the OS) loses nothing; a power cut may lose the last few commits, as `npm start`'s
    // development database can afford. A cluster keeps its own database's durability.
    args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  }
  if (namespace !== 'default') args.push('--namespace', namespace);
  // Registered before the server serves, so its search-attribute cache is right from the first start.
  args.push(...devServerSearchAttributeArgs());
  // The CLI turns `forceSearchAttributesCacheRefreshOnRead` on unless told otherwise. It reads the
  // namespace from SQLite, under a server-wide lock, on every start, describe and visibility write;
  // with the attributes registered above nothing needs it. Off: server CPU per chain-3 run 33 ms
  // against 38–43, sync 29.7 runs/s against 24–27 (`npm run bench -- --only cost`, interleaved).
  args.push('--dynamic-config-value', 'system.forceSearchAttributesCacheRefreshOnRead=false');
  // Hands an agent's activity straight to the worker that scheduled it, saving a matching round trip per agent.
  args.push('--dynamic-config-value', 'system.enableActivityEagerExecution=true');
  // The history service looks for new transfer tasks (workflow and activity dispatches) at most 20
  // times a second by default, so each dispatch of a run waited ~50 ms for the next look. 200 looks a
  // second cut a sequential chain-3 run from ~200 ms to about half for a little more idle CPU (bench).
  args.push('--dynamic-config-value', 'history.transferProcessorMaxPollRPS=200');
  // The history service caches each workflow's mutable state, ended ones included, for an hour, up to
  // 128k entries: the server's memory grew with every run of the last hour (~35 MB more after a bench's
  // 800 runs). 256 entries hold every run in flight at the bench's concurrency many times over; a run
  // not cached is read back from SQLite when it next moves. Once full it costs about one such read per
  // run (server metrics); 1024 saved them but left the tree at 494–498 MiB for no measured speed.
  args.push('--dynamic-config-value', 'history.hostLevelCacheMaxSize=256');
  // The dev server has one history shard, and a shard lets one write of any workflow at a time reach
  // the database by default: a start waited ~21 ms on average behind other runs' writes under the bench's
  // poll loop. The limit guards databases where concurrent writes contend (Cassandra's LWT); correctness
  // rests on the shard's range id, and SQLite serialises on its one connection anyway. At 4 the wait
  // fell to ~8 ms and the server's answer to a start from 42–45 ms to 28–31 (server metrics, 2 rounds).
  args.push('--dynamic-config-value', 'history.shardIOConcurrency=4');

  return args;
}

/**
 * Starts `temporal server start-dev` on 127.0.0.1 and waits until its frontend answers. We spawn the
 * CLI ourselves rather than use the SDK's ephemeral-server helper because that helper gives the
 * server about 5 s to listen, too short on a loaded 2-core machine.
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const namespace = options.namespace ?? 'default';
  const args = devServerArgs(options);
  if (options.dbFile) mkdirSync(path.dirname(options.dbFile), { recursive: true });
  // GOGC=30: Go's collector runs at 1.3x the live heap instead of 2x. Under a bench's load the live heap
  // is ~57 MB; the server then holds ~200 MB resident instead of ~215 MB at GOGC=50 (~260 MB at Go's
  // default), for CPU per run within the noise of A/B runs (`gctrace`: the collector's share ~6%).
  // A GOGC in the environment still wins.
  const env = { GOGC: '30', ...process.env };
  const child = spawn(options.binary, args, { env, stdio: ['ignore', options.output ?? 'ignore', options.output ?? 'ignore'] });
  const address = `127.0.0.1:${options.port}`;
  const server: DevServer = {
    address,
    uiUrl: options.uiPort === undefined ? undefined : `http://127.0.0.1:${options.uiPort}`,
    child,
    stop: () => stopProcess(child),
  };
  try {
    await waitUntilServing(address, child, (c) => c.workflowService.describeNamespace({ namespace }), {
      timeoutMs: options.startTimeoutMs ?? 60_000,
      what: 'Temporal dev server',
      hint: 'is the port already in use?',
    });
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

/**
 * Waits until a Temporal server `child` answers `probe` on `address`, failing at once if the process
 * exits first and after `timeoutMs` otherwise, with the last error and `hint` (where to look) in the message.
 */
export async function waitUntilServing(
  address: string,
  child: ChildProcess,
  probe: (connection: Connection) => Promise<unknown>,
  options: { timeoutMs: number; what: string; hint: string },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited with ${signal ?? `code ${code}`}`));
  let lastError = 'no answer yet';
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${options.what} ${exited} before serving on ${address} (${options.hint})`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: '2s' });
      try {
        await probe(connection);
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = ensureError(err).message;
      await sleep(250);
    }
  }
  throw new Error(`${options.what} did not serve on ${address} within ${options.timeoutMs} ms: ${lastError} (${options.hint})`);
}

/** SIGTERM (or `signal`), then SIGKILL after a grace period; resolves once the process is gone. */
export async function stopProcess(child: ChildProcess, graceMs = 10_000, signal: () => void = () => child.kill('SIGTERM')): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  signal();
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    await gone;
  } finally {
    clearTimeout(timer);
  }
}
