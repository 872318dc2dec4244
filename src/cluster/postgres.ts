// A throw-away PostgreSQL cluster for `npm run cluster` and the cluster tests: initdb into a temporary
// folder, one `postgres` process on 127.0.0.1 and a free port, never a system service. PostgreSQL
// refuses to run as root, so under root it runs as the `postgres` user (created when missing).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { stopProcess } from '../temporal/dev-server.js';
import { findOnPath } from '../temporal/cli-source.js';
import { owned } from './processes.js';
import { runLogged } from './run.js';

export interface PostgresOptions {
  port: number;
  log: (line: string) => void;
  /** The superuser Temporal connects as. */
  user?: string;
}

export interface Postgres {
  host: string;
  port: number;
  user: string;
  password: string;
  dataDir: string;
  pid(): number | undefined;
  /** Fast shutdown (SIGINT: open transactions roll back, committed data stays); resolves once it exited. */
  stop(): Promise<void>;
  /** Starts the same data folder again on the same port. */
  start(): Promise<void>;
  /** Stops and deletes the data folder. */
  destroy(): Promise<void>;
}

/** The folder holding initdb and postgres: on PATH, else Debian's /usr/lib/postgresql/<major>/bin. */
function findBinDir(): string | undefined {
  const onPath = findOnPath('initdb');
  if (onPath && findOnPath('postgres')) return path.dirname(onPath);
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return onPath ? path.dirname(onPath) : undefined;
  const majors = readdirSync(root).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a));
  for (const major of majors) {
    const dir = path.join(root, major, 'bin');
    if (existsSync(path.join(dir, 'postgres')) && existsSync(path.join(dir, 'initdb'))) return dir;
  }
  return undefined;
}

/** PostgreSQL's binaries, installed from Debian (`apt-get install postgresql`) only where missing. */
export async function ensurePostgresInstalled(log: (line: string) => void): Promise<string> {
  const found = findBinDir();
  if (found) return found;
  if (process.getuid?.() !== 0 || !findOnPath('apt-get')) {
    throw new Error('PostgreSQL is not installed (no initdb/postgres on PATH or in /usr/lib/postgresql/*/bin). Install it (Debian/Ubuntu: `sudo apt-get install postgresql`; macOS: `brew install postgresql@16`) and run again.');
  }
  log('PostgreSQL: not installed; installing it from Debian (apt-get install postgresql)…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await runLogged('apt-get', ['update'], { env, log, quiet: true, label: 'apt-get update' });
  await runLogged('apt-get', ['install', '-y', '--no-install-recommends', 'postgresql'], { env, log, quiet: true, label: 'installing' });
  const dir = findBinDir();
  if (!dir) throw new Error('apt-get installed postgresql but initdb is still missing');
  return dir;
}

/** Under root: the uid/gid of `postgres`, created as a system user when missing. */
function serviceUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

/**
 * Initialises a fresh cluster in a temporary folder and starts it. Password authentication over TCP
 * (scram-sha-256), as a networked database has; the socket lives in the data folder, not /var/run.
 */
export async function startPostgres(options: PostgresOptions): Promise<Postgres> {
  const { log, port } = options;
  const binDir = await ensurePostgresInstalled(log);
  const owner = serviceUser();
  const user = options.user ?? 'temporal';
  const password = randomBytes(18).toString('base64url');
  const base = mkdtempSync(path.join(os.tmpdir(), 'chainport-postgres-'));
  const dataDir = path.join(base, 'data');
  const pwFile = path.join(base, 'pw');
  writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  if (owner) {
    chownSync(base, owner.uid, owner.gid);
    chownSync(pwFile, owner.uid, owner.gid);
  }
  const asOwner = owner ? { uid: owner.uid, gid: owner.gid } : {};
  const env = { ...process.env, LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8' };
  await runLogged(path.join(binDir, 'initdb'), ['-D', dataDir, '-U', user, '--pwfile', pwFile, '--auth-host=scram-sha-256', '--auth-local=trust', '-E', 'UTF8', '--no-sync'], { log, quiet: true, env, ...asOwner, cwd: base });
  rmSync(pwFile);

  let child: ChildProcess | undefined;
  const start = async () => {
    const args = ['-D', dataDir, '-p', String(port), '-k', base, '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=on'];
    const spawned = owned(spawn(path.join(binDir, 'postgres'), args, { env, cwd: base, stdio: ['ignore', 'ignore', 'pipe'], detached: true, ...asOwner }));
    child = spawned;
    await waitUntilReady(spawned, port);
  };
  const stop = async () => {
    if (child) await stopProcess(child, 30_000, () => child!.kill('SIGINT'));
  };
  await start();
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    dataDir,
    pid: () => (child && child.exitCode === null && child.signalCode === null ? child.pid : undefined),
    stop,
    start,
    async destroy() {
      await stop();
      rmSync(base, { recursive: true, force: true });
    },
  };
}

async function waitUntilReady(child: ChildProcess, port: number): Promise<void> {
  const tail: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`PostgreSQL did not accept connections on 127.0.0.1:${port} within 60 s: ${tail.join(' | ')}`)), 60_000);
    const lines = createInterface({ input: child.stderr! });
    lines.on('line', (line) => {
      tail.push(line);
      if (tail.length > 8) tail.shift();
      if (/ready to accept connections/.test(line)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`PostgreSQL exited (${signal ?? `code ${code}`}) before accepting connections on 127.0.0.1:${port}: ${tail.join(' | ')}`));
    });
  });
  // Keep draining its log so the pipe never fills up.
  child.stderr!.resume();
}
