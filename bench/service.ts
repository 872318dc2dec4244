// The service as `npm start` runs it (src/start.ts: embedded, file-backed Temporal dev server;
// worker and API in one Node process), as a child of the bench, so its processes are measured alone.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stopProcess } from '../src/temporal/dev-server.js';
import { freePort } from '../test/helpers/ports.js';
import { sampleTree, type ProcSample } from './proc.js';

const REPO_ROOT = path.resolve(import.meta.dirname, '..');

export interface Service {
  url: string;
  key: string;
  /** The Temporal frontend and namespace the service uses, for a bare client beside the API. */
  temporal: { address: string; namespace: string };
  pid: number;
  /** Every process of the service (Node, Temporal) with its CPU so far and RSS now. */
  sample(): ProcSample[];
  stop(): Promise<void>;
}

export interface ServiceOptions {
  chainsDir: string;
  /** The Temporal CLI to embed (TEMPORAL_CLI_PATH); the finder's choice when unset. */
  cliPath?: string;
  env?: Record<string, string>;
}

export async function startService(options: ServiceOptions): Promise<Service> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'chainport-bench-service-'));
  const port = await freePort();
  const temporalPort = await freePort();
  const env: NodeJS.ProcessEnv = {};
  // Only the machine's environment, none of the bench's own Chainport or Temporal settings; but
  // CHAINPORT_WORKER_NICE, to measure `npm start` with its worker threads at another priority (0: level).
  for (const [key, value] of Object.entries(process.env)) if (!/^(TEMPORAL_|CHAINPORT_(?!WORKER_NICE)|LOG_LEVEL$|PORT$|HOST$|REDIS_URL$)/.test(key)) env[key] = value;
  Object.assign(env, {
    CHAINPORT_DATA_DIR: dataDir,
    CHAINPORT_CHAINS_DIR: options.chainsDir,
    CHAINPORT_RATE_LIMIT_PER_MIN: '1000000',
    CHAINPORT_MAX_CONCURRENT_RUNS: '100000',
    PORT: String(port),
    TEMPORAL_PORT: String(temporalPort),
    TEMPORAL_UI_PORT: String(await freePort()),
    ...(options.cliPath && { TEMPORAL_CLI_PATH: options.cliPath }),
    ...options.env,
  });
  // `npm start` itself, so the measured tree is exactly what a user runs: npm, its shell, Node, Temporal.
  // Its own process group, so one signal reaches all of them.
  const child = spawn('npm', ['start', '--silent'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'ignore', 'inherit'], detached: true });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm start's service exited (${child.exitCode}) before it was ready`);
    const ready = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      await stopProcess(child, 5_000);
      throw new Error('the service was not ready within 120 s');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    temporal: { address: `127.0.0.1:${temporalPort}`, namespace: 'default' },
    key: readFileSync(path.join(dataDir, 'dev-api-key'), 'utf8').trim(),
    pid: child.pid!,
    sample: () => sampleTree(child.pid!),
    stop: () => stopProcess(child, 15_000, () => process.kill(-child.pid!, 'SIGINT')),
  };
}
