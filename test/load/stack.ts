// Everything the load test runs against, all real and on 127.0.0.1: a persisted Temporal dev server,
// two worker processes, the API in this process, and a de-duplicating webhook receiver — plus the
// fault actions that hit them. The chains are bench/chains (chain-3, and approval for the input callers).
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { Started } from '../helpers/started.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { TEST_SECRET_KEY, startEngine, type TestEngine } from '../helpers/engine.js';
import { freePort } from '../helpers/ports.js';
import { startTestTemporal } from '../helpers/temporal.js';
import { startCluster } from '../../src/cluster/cluster.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';
import { startDedupReceiver, type DedupReceiver } from './receiver.js';

const BENCH_CHAINS = path.resolve(import.meta.dirname, '../../bench/chains');

/**
 * Webhook retries for the API (which puts the policy in each run) and the workers: 1 s doubling to
 * 5 s, 20 attempts — about 85 s of retrying, which outlasts a 30 s receiver outage.
 */
const WEBHOOK_ENV = {
  CHAINPORT_WEBHOOK_ALLOW_PRIVATE: 'true',
  CHAINPORT_WEBHOOK_MAX_ATTEMPTS: '20',
  CHAINPORT_WEBHOOK_INITIAL_INTERVAL: '1s',
  CHAINPORT_WEBHOOK_MAX_INTERVAL: '5s',
  CHAINPORT_WEBHOOK_TIMEOUT: '5s',
};

interface WorkerSlot {
  process: WorkerProcess;
  metricsPort: number;
}

/** Errors the API logged, grouped by message, so the report can say what the 5xx answers were. */
export class ErrorLog {
  readonly counts = new Map<string, number>();

  write(line: string): void {
    let key = line.slice(0, 200);
    try {
      const entry = JSON.parse(line) as { msg?: string; status?: number; err?: { message?: string } };
      // The access log line of a 5xx answer is logged as an error too: group those by status.
      key = `${entry.msg ?? '?'}${entry.status ? ` ${entry.status}` : ''}${entry.err?.message ? `: ${entry.err.message.slice(0, 160)}` : ''}`;
    } catch {
      // not JSON: keep the raw start of the line
    }
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
}

export interface Stack {
  api: TestApi;
  engine: TestEngine;
  receiver: DedupReceiver;
  metricsToken: string;
  apiErrors: ErrorLog;
  /** SIGKILLs the longest-running worker and starts a replacement; resolves once the replacement polls. */
  killWorker(): Promise<Record<string, unknown>>;
  /** Stops the Temporal server and starts it again on the same port and database. */
  restartTemporal(): Promise<Record<string, unknown>>;
  /** Prometheus text of the API (GET /metrics with the token). */
  apiMetrics(): Promise<string>;
  /** Prometheus text of every worker: live ones now, killed ones as scraped just before the kill. */
  workerMetrics(): Promise<string[]>;
  /** Recent output of the live workers, for failure messages. */
  workerOutput(): string;
  stop(): Promise<void>;
}

/** The Temporal server the load runs on, with the one fault the load injects into it. */
interface TemporalBackend {
  address: string;
  /** Stops the server and starts it again on the same port and database. */
  restart(): Promise<{ old_pid: number | undefined; new_pid: number | undefined }>;
  stop(): Promise<void>;
}

/** `npm run test:load`'s persisted dev server, or with `cluster` the Temporal server on PostgreSQL of `npm run cluster`. */
async function startTemporalBackend(cluster: boolean): Promise<TemporalBackend> {
  if (cluster) {
    const c = await startCluster({ apis: 0, workers: 0, isolate: true, log: (line) => process.stdout.write(`load: ${line}\n`) });
    return {
      address: c.temporal.address,
      async restart() {
        const old_pid = c.temporal.pid();
        await c.temporal.stop();
        await c.temporal.start();
        return { old_pid, new_pid: c.temporal.pid() };
      },
      stop: () => c.stop(),
    };
  }
  let temporal = await startTestTemporal({ persist: true });
  return {
    get address() {
      return temporal.address;
    },
    async restart() {
      const before = temporal;
      temporal = await before.restart();
      return { old_pid: before.child.pid, new_pid: temporal.child.pid };
    },
    async stop() {
      await temporal.stop();
      if (temporal.dbFile) rmSync(path.dirname(temporal.dbFile), { recursive: true, force: true });
    },
  };
}

export async function startStack(options: { cluster?: boolean } = {}): Promise<Stack> {
  const started = new Started();
  const metricsToken = randomBytes(16).toString('hex');
  const apiErrors = new ErrorLog();
  let temporal!: TemporalBackend;
  let engine!: TestEngine;
  let api!: TestApi;
  let receiver!: DedupReceiver;
  const workers: WorkerSlot[] = [];
  const killedScrapes: string[] = [];

  const startWorker = async (): Promise<WorkerSlot> => {
    const metricsPort = await freePort();
    const worker = await startWorkerProcess({
      address: temporal.address,
      taskQueue: engine.config.temporal.taskQueue,
      env: {
        CHAINPORT_SECRET_KEY: TEST_SECRET_KEY,
        CHAINPORT_CHAINS_DIR: BENCH_CHAINS,
        CHAINPORT_WORKER_METRICS_PORT: String(metricsPort),
        // The respond_url of a run.input_required webhook points at the API, as CHAINPORT_PUBLIC_URL does in production.
        CHAINPORT_PUBLIC_URL: api.url,
        ...WEBHOOK_ENV,
      },
      readyTimeoutMs: 180_000,
    });
    return { process: worker, metricsPort };
  };
  const scrapeWorker = async (slot: WorkerSlot) => (await fetch(`http://127.0.0.1:${slot.metricsPort}/metrics`)).text();

  await started.setup(async () => {
    temporal = started.add('temporal', await startTemporalBackend(options.cluster ?? false), (t) => t.stop());
    engine = started.add(
      'engine',
      await startEngine(temporal.address, {
        CHAINPORT_CHAINS_DIR: BENCH_CHAINS,
        CHAINPORT_RATE_LIMIT_PER_MIN: '1000000',
        CHAINPORT_MAX_CONCURRENT_RUNS: '100000',
        // One caller drives every concurrent sync wait and stream of the load.
        CHAINPORT_MAX_WAITS_PER_CALLER: '100000',
        CHAINPORT_MAX_STREAMS_PER_CALLER: '100000',
        CHAINPORT_METRICS_TOKEN: metricsToken,
        ...WEBHOOK_ENV,
      }),
      (e) => e.stop(),
    );
    // Before the workers: they need its address for the respond links.
    const log = pino({ level: 'error' }, { write: (line: string) => apiErrors.write(line) });
    api = started.add('api', await startTestApi(engine, { log }), (x) => x.close(2_000));
    started.add('workers', undefined, () => Promise.all(workers.map((w) => w.process.stop())));
    // Both at once: each bundles the workflow code, which takes a while on 2 cores.
    const [a, b] = await Promise.allSettled([startWorker(), startWorker()]);
    for (const result of [a, b]) if (result.status === 'fulfilled') workers.push(result.value);
    for (const result of [a, b]) if (result.status === 'rejected') throw result.reason;
    receiver = started.add('receiver', await startDedupReceiver(), (r) => r.close());
  });

  return {
    api,
    engine,
    receiver,
    metricsToken,
    apiErrors,
    async killWorker() {
      const victim = workers.shift()!;
      killedScrapes.push(await scrapeWorker(victim).catch(() => ''));
      await victim.process.kill('SIGKILL');
      const t0 = Date.now();
      const replacement = await startWorker();
      workers.push(replacement);
      return { killed_pid: victim.process.pid, replacement_pid: replacement.process.pid, replacement_ready_ms: Date.now() - t0 };
    },
    async restartTemporal() {
      const t0 = Date.now();
      return { ...(await temporal.restart()), down_ms: Date.now() - t0 };
    },
    async apiMetrics() {
      const res = await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
      if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
      return res.text();
    },
    async workerMetrics() {
      return [...killedScrapes, ...(await Promise.all(workers.map(scrapeWorker)))];
    },
    workerOutput: () => workers.map((w) => `--- worker ${w.process.pid}\n${w.process.output().split('\n').slice(-20).join('\n')}`).join('\n'),
    stop: () => started.stopAll(),
  };
}
