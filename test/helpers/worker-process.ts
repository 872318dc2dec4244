import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { stopProcess } from '../../src/temporal/dev-server.js';
import { TEST_SECRET_KEY } from './engine.js';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const FIXTURE_CHAINS = path.join(REPO_ROOT, 'test/fixtures/chains');

export interface WorkerProcessOptions {
  address: string;
  taskQueue: string;
  /** Extra environment for the worker, applied last. */
  env?: Record<string, string>;
  /** How long to wait for 'worker polling'; bundling the workflows takes a while on 2 cores. */
  readyTimeoutMs?: number;
}

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  /** The worker's most recent stdout/stderr lines, for failure messages. */
  output(): string;
  /** Sends `signal` (SIGKILL by default) and resolves once the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGTERM (the worker drains within its short test grace time), SIGKILL if it lingers; resolves once it exited. */
  stop(): Promise<void>;
}

/** Every worker process still alive; killed if the test process exits without stopping them. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * Runs the real worker entry (`node --import tsx src/worker.ts`) as a child process and resolves once
 * it logs 'worker polling'. `node --import tsx` is a single process (tsx loads in a thread), so
 * killing the child by pid leaves nothing behind.
 *
 * LOG_LEVEL is `info`, not `warn`: 'worker polling' is an info line, and readiness is read from it.
 */
export async function startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // Nothing from the developer's shell or the test runner may steer the worker.
    if (/^(TEMPORAL_(?!CLI_PATH)|CHAINPORT_|OTEL_|NODE_TEST|LOG_LEVEL$)/.test(key)) continue;
    env[key] = value;
  }
  Object.assign(env, {
    TEMPORAL_ADDRESS: options.address,
    TEMPORAL_TASK_QUEUE: options.taskQueue,
    CHAINPORT_CHAINS_DIR: FIXTURE_CHAINS,
    LOG_LEVEL: 'info',
    // SIGTERM must not wait the production 30 s for in-flight agents.
    CHAINPORT_SHUTDOWN_GRACE: '2s',
    // A worker of a cluster shares the service's key (the worker refuses to start without one).
    CHAINPORT_SECRET_KEY: TEST_SECRET_KEY,
    ...options.env,
  });

  const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  const lines: string[] = [];
  const keep = (line: string) => {
    lines.push(line);
    if (lines.length > 200) lines.shift();
  };
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    // A process that could not be spawned never emits 'exit'.
    child.once('error', (err) => {
      keep(`spawn error: ${err.message}`);
      if (child.pid === undefined) resolve();
    });
  });
  void exited.then(() => live.delete(child));
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    keep(line);
    if (line.startsWith('{')) {
      try {
        if ((JSON.parse(line) as { msg?: unknown }).msg === 'worker polling') markReady();
      } catch {
        // not a log line
      }
    }
  });
  createInterface({ input: child.stderr! }).on('line', keep);

  const output = () => lines.join('\n');
  const worker: WorkerProcess = {
    child,
    pid: child.pid!,
    output,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
    stop: () => stopProcess(child, 5_000),
  };

  const timeoutMs = options.readyTimeoutMs ?? 90_000;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker process did not poll within ${timeoutMs} ms:\n${output()}`)), timeoutMs);
      void ready.then(() => {
        clearTimeout(timer);
        resolve();
      });
      void exited.then(() => {
        clearTimeout(timer);
        // A no-op once ready: a settled promise ignores later calls.
        reject(new Error(`worker process exited (${child.signalCode ?? `code ${child.exitCode}`}) before polling:\n${output()}`));
      });
    });
  } catch (err) {
    await worker.stop();
    throw err;
  }
  return worker;
}

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
