// What one chain-3 run costs on the service as `npm start` runs it: latency, throughput through the
// API (sync route, async + poll), async start latency under that load, CPU per run of each process
// (from /proc) and the RSS of the whole process tree. Beside the async start: a bare Temporal client's
// start under the same load, the floor an API start cannot beat. And the async start when callers
// arrive at half the throughput the poll loop reached, so the machine is not saturated: the start
// path's own latency, apart from the queueing of a closed loop that keeps two cores busy; and when
// they arrive at the throughput target, 15 runs a second.
import { Client, Connection } from '@temporalio/client';
import { cpuBetween } from './proc.js';
import type { Service } from './service.js';
import { percentile, round, runPaced, runPool } from './stats.js';

const INPUT = { input: {} };

export interface CostOptions {
  sequential: number;
  total: number;
  concurrency: number;
  /** The chain measured; chain-3 by default. */
  chain?: string;
}

function post(service: Service, path: string, body: unknown): Promise<Response> {
  return fetch(`${service.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${service.key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function syncRun(service: Service, chain: string): Promise<void> {
  const res = await post(service, `/api/v1/chains/${chain}`, INPUT);
  if (res.status !== 200) throw new Error(`sync run answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
}

/**
 * Starts a run and polls it until it ends: every 20 ms (a tight loop measures the engine, not the
 * Retry-After the API suggests to real callers), or with `longPoll` as one `?wait=30` request.
 */
async function asyncRun(service: Service, chain: string, startLatencies: number[], longPoll = false): Promise<void> {
  const t0 = performance.now();
  const res = await post(service, `/api/v1/chains/${chain}/runs`, INPUT);
  if (res.status !== 202) throw new Error(`async start answered ${res.status}: ${await res.text()}`);
  const { run_id: runId } = (await res.json()) as { run_id: string };
  startLatencies.push(performance.now() - t0);
  for (;;) {
    if (!longPoll) await new Promise((r) => setTimeout(r, 20));
    const poll = await fetch(`${service.url}/api/v1/runs/${runId}${longPoll ? '?wait=30' : ''}`, { headers: { authorization: `Bearer ${service.key}` } });
    const run = (await poll.json()) as { status: string };
    if (run.status !== 'running') return;
  }
}

/** How often the floor probe starts a workflow: often enough for a p50, rarely enough to add little load. */
const FLOOR_PROBE_EVERY_MS = 200;
/** A task queue no worker polls: the probe's workflows never run, they only measure the start. */
const FLOOR_TASK_QUEUE = 'bench-start-floor';
/** The paced phase's arrival rate, as a share of the poll loop's throughput measured just before. */
const PACED_SHARE = 0.5;
/** Issue #12's throughput target for async + poll, in runs a second: a second open-loop phase arrives at it. */
const TARGET_RUNS_PER_S = 15;

/**
 * While `load` runs, a bare client in this process (not the service's) starts a workflow every
 * FLOOR_PROBE_EVERY_MS and times StartWorkflowExecution alone: what the API's own start waits for at
 * the least. The probe's workflows are terminated once the load is over, outside its measurement.
 */
async function withStartFloor(service: Service, load: () => Promise<unknown>): Promise<number[]> {
  const connection = await Connection.connect({ address: service.temporal.address });
  const client = new Client({ connection, namespace: service.temporal.namespace });
  const floorMs: number[] = [];
  const started: string[] = [];
  let done = false;
  const probe = (async () => {
    while (!done) {
      const workflowId = `bench-start-floor-${started.length}-${Date.now()}`;
      const t0 = performance.now();
      await client.workflow.start('benchStartFloor', { workflowId, taskQueue: FLOOR_TASK_QUEUE });
      floorMs.push(performance.now() - t0);
      started.push(workflowId);
      await new Promise((r) => setTimeout(r, FLOOR_PROBE_EVERY_MS));
    }
  })();
  try {
    await load();
    return floorMs;
  } finally {
    done = true;
    await probe;
    await Promise.all(started.map((id) => client.workflow.getHandle(id).terminate('bench probe')));
    await connection.close();
  }
}

/**
 * Async starts arriving at `rate` a second (an open loop: each run then polled every 20 ms), with a
 * bare client's start timed beside them.
 */
async function pacedStarts(service: Service, chain: string, runs: number, rate: number) {
  const starts: number[] = [];
  const floorMs = await withStartFloor(service, () => runPaced(runs, rate, () => asyncRun(service, chain, starts)));
  return {
    starts_per_s: rate,
    api_start_p50_ms: percentile(starts, 50),
    api_start_p95_ms: percentile(starts, 95),
    bare_start_p50_ms: percentile(floorMs, 50),
  };
}

/** CPU ms per run of each process while `runs` runs went through `load`. */
async function cpuPerRun(service: Service, runs: number, load: () => Promise<{ wallMs: number }>) {
  const before = service.sample();
  const { wallMs } = await load();
  const spent = cpuBetween(before, service.sample());
  const perProcess = Object.fromEntries(Object.entries(spent).map(([name, ms]) => [name, round(ms / runs, 1)]));
  const total = round(Object.values(spent).reduce((a, b) => a + b, 0) / runs, 1);
  return { runs_per_s: round(runs / (wallMs / 1000)), cpu_ms_per_run: { ...perProcess, total } };
}

export async function measureCost(service: Service, options: CostOptions) {
  const chain = options.chain ?? 'chain-3';
  for (let i = 0; i < 20; i++) await syncRun(service, chain);
  const sequential: number[] = [];
  for (let i = 0; i < options.sequential; i++) {
    const t0 = performance.now();
    await syncRun(service, chain);
    sequential.push(performance.now() - t0);
  }
  const sync = await cpuPerRun(service, options.total, () => runPool(options.total, options.concurrency, () => syncRun(service, chain)));
  const startLatencies: number[] = [];
  const asyncPoll = await cpuPerRun(service, options.total, () => runPool(options.total, options.concurrency, () => asyncRun(service, chain, startLatencies)));
  const longPollStarts: number[] = [];
  const asyncLongPoll = await cpuPerRun(service, options.total, () => runPool(options.total, options.concurrency, () => asyncRun(service, chain, longPollStarts, true)));
  // A phase of its own, so the probe's starts weigh on none of the figures above.
  const floorPhaseStarts: number[] = [];
  const floorMs = await withStartFloor(service, () => runPool(options.total / 2, options.concurrency, () => asyncRun(service, chain, floorPhaseStarts)));
  const paced = await pacedStarts(service, chain, options.total / 2, round(asyncPoll.runs_per_s * PACED_SHARE, 1));
  const atTarget = await pacedStarts(service, chain, options.total / 2, TARGET_RUNS_PER_S);
  const after = service.sample();
  return {
    sync_p50_ms: percentile(sequential, 50),
    sync_p95_ms: percentile(sequential, 95),
    sync_load: sync,
    async_poll_load: { ...asyncPoll, start_p50_ms: percentile(startLatencies, 50), start_p95_ms: percentile(startLatencies, 95) },
    async_long_poll_load: { ...asyncLongPoll, start_p50_ms: percentile(longPollStarts, 50), start_p95_ms: percentile(longPollStarts, 95) },
    /** Half the poll-loop load again, with a bare client's start timed beside the API's (the floor). */
    async_start_floor: {
      api_start_p50_ms: percentile(floorPhaseStarts, 50),
      bare_start_p50_ms: percentile(floorMs, 50),
      bare_start_p95_ms: percentile(floorMs, 95),
      bare_starts: floorMs.length,
    },
    /** Async starts (each run then polled every 20 ms) arriving at half the poll loop's throughput, a bare client's beside them. */
    async_start_paced: paced,
    /** The same, arriving at the throughput target (15 runs/s) whatever this run's loop reached. */
    async_start_at_target_rate: atTarget,
    rss_mb_after: Object.fromEntries(after.map((p) => [`${p.name} (${p.pid})`, round(p.rssMb, 1)])),
    rss_mb_tree: round(after.reduce((sum, p) => sum + p.rssMb, 0), 1),
    /** The same tree's proportional set size: the Node binary npm and the service both map counts once. */
    pss_mb_tree: round(after.reduce((sum, p) => sum + p.pssMb, 0), 1),
  };
}
