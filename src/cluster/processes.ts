// Chainport's own processes in the cluster: `api` and `worker`, each a separate Node process running
// the real entry point, from the TypeScript sources (through tsx, as `npm run api|worker` does) or from
// the production build (`node dist/…js`, no TypeScript loader), with its log in a file.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { stopProcess } from '../temporal/dev-server.js';
import { NODE_FLAGS } from './node-flags.js';

export type Role = 'api' | 'worker';
/**
 * `source`: src/*.ts through tsx; `dist`: the compiled build in `<appDir>/dist`; `image`: the image's
 * entrypoint (deploy/docker/entrypoint.sh <role>) in `<appDir>` with the image's NODE_ENV.
 */
export type EntryMode = 'source' | 'dist' | 'image';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const ENTRIES: Record<Exclude<EntryMode, 'image'>, Record<Role, string>> = {
  source: { api: 'src/api/server.ts', worker: 'src/worker.ts' },
  dist: { api: 'dist/api/server.js', worker: 'dist/worker.js' },
};

/** The command and extra environment of a role in an entry mode. */
function commandFor(entry: EntryMode, role: Role): { command: string[]; env: NodeJS.ProcessEnv } {
  // The entrypoint gives its node the role's V8 flags itself.
  if (entry === 'image') return { command: ['/bin/sh', 'deploy/docker/entrypoint.sh', role], env: { NODE_ENV: 'production' } };
  return { command: [process.execPath, ...NODE_FLAGS[role], ...(entry === 'source' ? ['--import', 'tsx'] : []), ENTRIES[entry][role]], env: {} };
}
/** The line each entry logs once it serves: the API once it listens, the worker once it polls. */
const READY_MESSAGE: Record<Role, string> = { api: 'API listening', worker: 'worker polling' };

export interface ServiceProcessOptions {
  role: Role;
  /** `api-1`, `worker-2`: names the log file and failure messages. */
  name: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  entry?: EntryMode;
  /** Where `dist/` and `node_modules/` are: the repository, or a production copy of the build. */
  appDir?: string;
  readyTimeoutMs?: number;
  /** Run this instead of the role's entry (e.g. `npm start`), ready once a line matches `readyPattern`. */
  command?: string[];
  readyPattern?: RegExp;
}

export interface ServiceProcess {
  role: Role;
  name: string;
  pid: number;
  /** The API's address (`http://127.0.0.1:3000`); undefined for a worker. */
  url: string | undefined;
  logFile: string;
  /** The last lines it wrote, for failure messages. */
  output(): string;
  /** Sends `signal` (SIGKILL by default) and resolves once it exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGTERM (drain within CHAINPORT_SHUTDOWN_GRACE), SIGKILL after `graceMs`; resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * Spawn options for a process of the cluster: its own process group, so a Ctrl-C in the terminal
 * reaches only the cluster's main process, which then stops everything in order (a shared group would
 * stop PostgreSQL under a Temporal server still writing to it). Killed if this process exits first.
 */
export function owned(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Starts one API or worker process and resolves once it logged that it serves. */
export async function startServiceProcess(options: ServiceProcessOptions): Promise<ServiceProcess> {
  const entry = options.entry ?? 'source';
  const appDir = options.appDir ?? REPO_ROOT;
  const role = commandFor(entry, options.role);
  const [file, ...rest] = options.command ?? role.command;
  const child = owned(spawn(file!, rest, { cwd: appDir, env: { ...options.env, ...role.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true }));
  const out = createWriteStream(options.logFile, { flags: 'a' });
  const tail: string[] = [];
  const keep = (line: string) => {
    out.write(`${line}\n`);
    tail.push(line);
    if (tail.length > 40) tail.shift();
  };
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (err) => {
      keep(`spawn error: ${err.message}`);
      if (child.pid === undefined) resolve();
    });
  });
  // The log ends when nothing holds the pipes any more (a wrapper like npm may exit before its child).
  let openPipes = 2;
  const pipeClosed = () => {
    if (--openPipes === 0) out.end();
  };
  let url: string | undefined;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const stdoutLines = createInterface({ input: child.stdout! });
  stdoutLines.once('close', pipeClosed);
  stdoutLines.on('line', (line) => {
    keep(line);
    if (options.readyPattern?.test(line)) markReady();
    if (!line.startsWith('{')) return;
    try {
      const entryLine = JSON.parse(line) as { msg?: unknown; url?: unknown };
      if (entryLine.msg === READY_MESSAGE[options.role]) {
        if (typeof entryLine.url === 'string') url = entryLine.url;
        markReady();
      }
    } catch {
      // not a log line
    }
  });
  createInterface({ input: child.stderr! }).on('line', keep).once('close', pipeClosed);
  const output = () => tail.join('\n');
  const proc: ServiceProcess = {
    role: options.role,
    name: options.name,
    pid: child.pid ?? -1,
    get url() {
      return url;
    },
    logFile: options.logFile,
    output,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signalGroup(child, signal);
      await exited;
    },
    stop: (graceMs = 40_000) => stopProcess(child, graceMs, () => signalGroup(child, 'SIGTERM')),
  };
  const timeoutMs = options.readyTimeoutMs ?? 120_000;
  try {
    await new Promise<void>((resolve, reject) => {
      const expected = options.readyPattern ? String(options.readyPattern) : `"${READY_MESSAGE[options.role]}"`;
      const timer = setTimeout(() => reject(new Error(`${options.name} did not log ${expected} within ${timeoutMs} ms:\n${output()}`)), timeoutMs);
      void ready.then(() => {
        clearTimeout(timer);
        resolve();
      });
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`${options.name} exited (${child.signalCode ?? `code ${child.exitCode}`}) before serving:\n${output()}`));
      });
    });
  } catch (err) {
    await proc.stop(5_000);
    throw err;
  }
  return proc;
}

/** Signals the process's whole group (it leads one): a wrapper such as npm and what it started. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    child.kill(signal);
  }
}

/** The file a process's log goes to. */
export function logFileFor(logDir: string, name: string): string {
  return path.join(logDir, `${name}.log`);
}
