import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { NODE_FLAGS } from '../src/cluster/node-flags.js';
import type { Config } from '../src/config.js';
import { stopProcess } from '../src/temporal/dev-server.js';
import { CALLERS } from '../test/helpers/api.js';

const REPO_ROOT = path.resolve(import.meta.dirname, '..');

export interface ApiProcess {
  url: string;
  pid: number;
  /** Resident memory of the API process now, in MiB (Linux /proc). */
  rssMb(): number;
  stop(): Promise<void>;
}

/**
 * The real API entry (`npm run api`) as its own process against the bench's Temporal server and task
 * queue, so its memory is measured alone — not with the bench's in-process worker and clients.
 */
export async function startApiProcess(config: Config, chainsDir: string, extraEnv: Record<string, string> = {}): Promise<ApiProcess> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^(TEMPORAL_(?!CLI_PATH)|CHAINPORT_|LOG_LEVEL$|PORT$|HOST$)/.test(key)) env[key] = value;
  Object.assign(env, {
    TEMPORAL_ADDRESS: config.temporal.address,
    TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
    CHAINPORT_CHAINS_DIR: chainsDir,
    CHAINPORT_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'chainport-bench-api-')),
    CHAINPORT_API_KEYS: `alice:${CALLERS.alice}`,
    CHAINPORT_RATE_LIMIT_PER_MIN: '1000000',
    CHAINPORT_MAX_CONCURRENT_RUNS: '100000',
    CHAINPORT_MAX_WAITS_PER_CALLER: '100000',
    CHAINPORT_MAX_STREAMS_PER_CALLER: '100000',
    ...(config.secretKey && { CHAINPORT_SECRET_KEY: config.secretKey }),
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    ...extraEnv,
  });
  // With the V8 flags the image and `npm run api` give an API process.
  const child = spawn(process.execPath, [...NODE_FLAGS.api, '--import', 'tsx', 'src/api/server.ts'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the API process did not start listening within 60 s')), 60_000);
    child.once('exit', (code) => reject(new Error(`the API process exited (${code}) before listening`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const url = /"msg":"API listening"/.test(line) ? (JSON.parse(line) as { url?: string }).url : undefined;
      if (url) {
        clearTimeout(timer);
        resolve(url);
      }
    });
  });
  return {
    url,
    pid: child.pid!,
    rssMb() {
      const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
      return Number(kb) / 1024;
    },
    stop: () => stopProcess(child, 5_000),
  };
}
