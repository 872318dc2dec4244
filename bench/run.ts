// `npm run bench`: measures chain-3 (three zero-delay simulated agents) end to end, first through the
// bare Temporal client (the floor), then through the HTTP API, in one run on one machine, then the SSE
// figures (token latency, time to first event, fan-out; see bench/sse.ts), and prints
// one JSON line with each API figure beside its bare-client baseline. Also writes bench/results/.
// Before those, on the service as `npm start` runs it: the cost figures (bench/cost.ts) and the
// input-step figure (bench/input.ts). `--only cost` / `--only input` measure just one of those.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { startTestApi, type TestApi } from '../test/helpers/api.js';
import { startEngine } from '../test/helpers/engine.js';
import { startTestTemporal } from '../test/helpers/temporal.js';
import { InProcessTokenChannel } from '../src/tokens/in-process.js';
import { startRun } from '../src/runs/start.js';
import type { ChainCatalog } from '../src/chains/catalog.js';
import type { Config } from '../src/config.js';
import { cachedCliPath, isExecutable, TEMPORAL_CLI_VERSION } from '../src/temporal/cli-source.js';
import { defaultCacheDir, resolveTemporalCli } from '../src/temporal/cli.js';
import { GO_BUILDABLE_CLI_VERSION } from '../src/temporal/cli-go.js';
import { startApiProcess } from './api-process.js';
import { costOnCluster } from './cluster.js';
import { measureCost } from './cost.js';
import { measureInput } from './input.js';
import { tokenLatencyScaledOut } from './scaled-out.js';
import { startService } from './service.js';
import { fanOut, timeToFirstEvent, tokenLatency, under } from './sse.js';
import { benchWebhooks } from './webhooks.js';
import { percentile, round, runPool, versus } from './stats.js';
import { unmetTargets } from './targets.js';

const { values: args } = parseArgs({
  options: {
    sequential: { type: 'string', default: '100' },
    total: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '20' },
    'sse-clients': { type: 'string', default: '500' },
    'sse-runs': { type: 'string', default: '50' },
    'sse-token-runs': { type: 'string', default: '5' },
    /** A second Temporal CLI to measure beside the pinned one; default: the cached Go build of 1.5.1, if any. */
    'compare-cli': { type: 'string' },
    /** `cost`: only the cost figures of the service as `npm start` runs it (a couple of minutes); `input`: only the input-step figure (about a minute). */
    only: { type: 'string' },
    /** Approval runs for the input-step figure at `--concurrency`, and one at a time. */
    'input-runs': { type: 'string', default: '100' },
    'input-sequential': { type: 'string', default: '30' },
    /** The cost figures on the production topology (`npm run cluster`) beside the embedded default's. */
    cluster: { type: 'boolean', default: false },
  },
});
const SEQUENTIAL = Number(args.sequential);
const TOTAL = Number(args.total);
const CONCURRENCY = Number(args.concurrency);
const SSE_CLIENTS = Number(args['sse-clients']);
const SSE_RUNS = Number(args['sse-runs']);
const SSE_TOKEN_RUNS = Number(args['sse-token-runs']);
const INPUT_RUNS = Number(args['input-runs']);
const INPUT_SEQUENTIAL = Number(args['input-sequential']);
const ONLY = ['cost', 'input'];
const CHAINS_DIR = path.resolve(import.meta.dirname, 'chains');
const INPUT = {};

async function bareRun(client: Client, config: Config, catalog: ChainCatalog): Promise<void> {
  const handle = await startRun(client, config, catalog.resolve('chain-3')!, { input: INPUT, callerId: 'bench' });
  await handle.result();
}

async function apiSync(api: TestApi): Promise<void> {
  const res = await api.request('/api/v1/chains/chain-3', { body: { input: INPUT } });
  if (res.status !== 200) throw new Error(`sync run answered ${res.status}: ${await res.text()}`);
  await res.body?.cancel();
}

async function apiStart(api: TestApi): Promise<string> {
  const res = await api.request('/api/v1/chains/chain-3/runs', { body: { input: INPUT } });
  if (res.status !== 202) throw new Error(`async start answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { run_id: string }).run_id;
}

async function apiStartAndPoll(api: TestApi): Promise<void> {
  const runId = await apiStart(api);
  for (;;) {
    const res = await api.request(`/api/v1/runs/${runId}`);
    const run = (await res.json()) as { status: string };
    if (run.status !== 'running') return;
    // A tight poll loop measures the engine, not the Retry-After the API suggests to real callers.
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function timed(times: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/**
 * chain-3 on the service as `npm start` runs it, once per Temporal CLI: the pinned one and, beside it,
 * the older one (`--compare-cli`, or the cached Go build of 1.5.1), each with a fresh service.
 */
async function costByCli() {
  const pinned = await resolveTemporalCli({ explicitPath: process.env.TEMPORAL_CLI_PATH, log: () => {} });
  const older = args['compare-cli'] ?? cachedCliPath(defaultCacheDir(), GO_BUILDABLE_CLI_VERSION);
  const clis: Array<[string, string]> = [[TEMPORAL_CLI_VERSION, pinned]];
  if (isExecutable(older)) clis.push([args['compare-cli'] ? older : GO_BUILDABLE_CLI_VERSION, older]);
  const out: Record<string, Awaited<ReturnType<typeof measureCost>>> = {};
  for (const [label, cliPath] of clis) {
    const service = await startService({ chainsDir: CHAINS_DIR, cliPath });
    try {
      out[label] = await measureCost(service, { sequential: SEQUENTIAL, total: TOTAL, concurrency: CONCURRENCY });
    } finally {
      await service.stop();
    }
  }
  const current = out[TEMPORAL_CLI_VERSION]!;
  const baseline = clis[1] && out[clis[1][0]];
  // The same chain with every agent a local activity (execution: local), on a fresh `npm start` tree.
  const localService = await startService({ chainsDir: CHAINS_DIR, cliPath: pinned });
  const local = await measureCost(localService, { sequential: SEQUENTIAL, total: TOTAL, concurrency: CONCURRENCY, chain: 'chain-3-local' }).finally(() => localService.stop());
  return {
    embedded: current,
    /** Issue #12's targets for the embedded default, each checked against this run's figures. */
    embedded_targets: {
      cpu_ms_per_run_at_most_100: current.sync_load.cpu_ms_per_run.total <= 100,
      sync_runs_per_s_at_least_15: current.sync_load.runs_per_s >= 15,
      async_poll_runs_per_s_at_least_15: current.async_poll_load.runs_per_s >= 15,
      sync_p50_at_most_120ms: current.sync_p50_ms <= 120,
      async_start_p50_at_most_30ms: current.async_poll_load.start_p50_ms <= 30,
      rss_of_npm_start_tree_at_most_500mb: current.rss_mb_tree <= 500,
    },
    /** chain-3 with `execution: local` on every agent, each figure beside chain-3's (agents as activities). */
    local_agents: {
      chain: 'chain-3-local',
      ...local,
      versus_activities: {
        sync_p50_ms: versus(local.sync_p50_ms, current.sync_p50_ms),
        sync_runs_per_s: versus(local.sync_load.runs_per_s, current.sync_load.runs_per_s),
        sync_cpu_ms_per_run: versus(local.sync_load.cpu_ms_per_run.total, current.sync_load.cpu_ms_per_run.total),
        async_poll_runs_per_s: versus(local.async_poll_load.runs_per_s, current.async_poll_load.runs_per_s),
        async_start_p50_ms: versus(local.async_poll_load.start_p50_ms, current.async_poll_load.start_p50_ms),
        rss_mb_tree: versus(local.rss_mb_tree, current.rss_mb_tree),
      },
    },
    /** The same async runs waited for with one long poll (`?wait=30`) each, beside the 20 ms poll loop. */
    long_poll_vs_poll_loop: {
      runs_per_s: versus(current.async_long_poll_load.runs_per_s, current.async_poll_load.runs_per_s),
      cpu_ms_per_run: versus(current.async_long_poll_load.cpu_ms_per_run.total, current.async_poll_load.cpu_ms_per_run.total),
      start_p50_ms: versus(current.async_long_poll_load.start_p50_ms, current.async_poll_load.start_p50_ms),
    },
    /** The API's async start p50 beside a bare client's StartWorkflowExecution under the same poll-loop load (the floor). */
    async_start_vs_bare_start: versus(current.async_start_floor.api_start_p50_ms, current.async_start_floor.bare_start_p50_ms),
    /** The same when runs arrive at 15 a second (the throughput target, an open loop) instead of as fast as 20 callers can go. */
    async_start_at_target_rate_vs_bare_start: versus(current.async_start_at_target_rate.api_start_p50_ms, current.async_start_at_target_rate.bare_start_p50_ms),
    cli_versions: baseline
      ? {
          versions: Object.keys(out),
          sync_runs_per_s: versus(current.sync_load.runs_per_s, baseline.sync_load.runs_per_s),
          sync_cpu_ms_per_run: versus(current.sync_load.cpu_ms_per_run.total, baseline.sync_load.cpu_ms_per_run.total),
          async_poll_runs_per_s: versus(current.async_poll_load.runs_per_s, baseline.async_poll_load.runs_per_s),
          sync_p50_ms: versus(current.sync_p50_ms, baseline.sync_p50_ms),
          rss_mb_tree: versus(current.rss_mb_tree, baseline.rss_mb_tree),
          older: baseline,
        }
      : `no older CLI to compare: pass --compare-cli <path>, or build ${GO_BUILDABLE_CLI_VERSION} once into ${path.dirname(older)} (GOBIN=… go install github.com/temporalio/cli/cmd/temporal@v${GO_BUILDABLE_CLI_VERSION})`,
  };
}

/**
 * The input-step figure on a service of its own as `npm start` runs it (the bench is its client, in
 * another process, as a caller would be).
 */
async function inputSteps() {
  const service = await startService({ chainsDir: CHAINS_DIR });
  try {
    return await measureInput(service, { runs: INPUT_RUNS, concurrency: CONCURRENCY, sequential: INPUT_SEQUENTIAL });
  } finally {
    await service.stop();
  }
}

/** Writes bench/results/<file> (latest.json: the full bench; cluster.json: `--cluster`; input.json: `--only input`), prints it as one line, then the targets it did not meet (on stderr). */
function writeReport(report: object, file = 'latest.json'): void {
  const dir = path.resolve(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, file), `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(report)}\n`);
  const unmet = unmetTargets(report);
  process.stderr.write(unmet.length > 0 ? `bench: targets not met: ${unmet.join(', ')}\n` : 'bench: every target met\n');
}

async function main(): Promise<void> {
  if (args.only !== undefined && !ONLY.includes(args.only)) throw new Error(`--only takes ${ONLY.join(' or ')}, not "${args.only}"`);
  if (args.only === 'input') return writeReport({ bench: 'chainport', at: new Date().toISOString(), input_steps: await inputSteps() }, 'input.json');
  const cost = await costByCli();
  if (args.cluster) {
    const cluster = await costOnCluster(CHAINS_DIR, { sequential: SEQUENTIAL, total: TOTAL, concurrency: CONCURRENCY });
    const embedded = cost.embedded;
    return writeReport({
      bench: 'chainport',
      at: new Date().toISOString(),
      chain: 'chain-3',
      load: { runs: TOTAL, concurrency: CONCURRENCY },
      embedded,
      cluster,
      cluster_vs_embedded: {
        sync_p50_ms: versus(cluster.sync_p50_ms, embedded.sync_p50_ms),
        sync_p95_ms: versus(cluster.sync_p95_ms, embedded.sync_p95_ms),
        sync_runs_per_s: versus(cluster.sync_load.runs_per_s, embedded.sync_load.runs_per_s),
        async_poll_runs_per_s: versus(cluster.async_poll_load.runs_per_s, embedded.async_poll_load.runs_per_s),
        async_start_p50_ms: versus(cluster.async_poll_load.start_p50_ms, embedded.async_poll_load.start_p50_ms),
        sync_cpu_ms_per_run: versus(cluster.sync_load.cpu_ms_per_run.total, embedded.sync_load.cpu_ms_per_run.total),
        rss_mb: versus(cluster.rss_mb_tree, embedded.rss_mb_tree),
      },
    }, 'cluster.json');
  }
  if (args.only === 'cost') return writeReport({ bench: 'chainport', at: new Date().toISOString(), chain: 'chain-3', load: { runs: TOTAL, concurrency: CONCURRENCY }, ...cost });
  const input = await inputSteps();
  const temporal = await startTestTemporal();
  const unlimited = {
    CHAINPORT_CHAINS_DIR: CHAINS_DIR,
    CHAINPORT_RATE_LIMIT_PER_MIN: '1000000',
    CHAINPORT_MAX_CONCURRENT_RUNS: '100000',
    CHAINPORT_MAX_WAITS_PER_CALLER: '100000',
    CHAINPORT_MAX_STREAMS_PER_CALLER: '100000',
    // The bench's webhook receiver listens on 127.0.0.1.
    CHAINPORT_WEBHOOK_ALLOW_PRIVATE: 'true',
  };
  // Worker and API in one process share the in-process token channel, as `npm start` runs them.
  const engine = await startEngine(temporal.address, unlimited, { tokens: new InProcessTokenChannel() });
  try {
    await engine.startWorker();
    const api = await startTestApi(engine);
    try {
      const { client, config, catalog } = engine;
      // Warm up both paths so bundling, JIT and connection set-up are not measured.
      await timed(10, () => bareRun(client, config, catalog));
      await timed(10, () => apiSync(api));

      const bareSeq = await timed(SEQUENTIAL, () => bareRun(client, config, catalog));
      const bareLoad = await runPool(TOTAL, CONCURRENCY, () => bareRun(client, config, catalog));
      const apiSeq = await timed(SEQUENTIAL, () => apiSync(api));
      const asyncStart = await timed(SEQUENTIAL, () => apiStart(api));
      const apiLoad = await runPool(TOTAL, CONCURRENCY, () => apiStartAndPoll(api));

      const finished = await apiStart(api);
      await apiStartAndPoll(api);
      await engine.client.workflow.getHandle(finished).result();
      const getFinished = await timed(SEQUENTIAL, () => api.request(`/api/v1/runs/${finished}`).then((r) => r.arrayBuffer()));
      const held = await api.request('/api/v1/chains/hold/runs', { body: { input: INPUT } });
      const running = ((await held.json()) as { run_id: string }).run_id;
      const getRunning = await timed(50, () => api.request(`/api/v1/runs/${running}`).then((r) => r.arrayBuffer()));
      await api.request(`/api/v1/runs/${running}/cancel`, { method: 'POST' });
      const bareDescribe = await timed(SEQUENTIAL, () => engine.client.workflow.getHandle(finished).describe());

      const webhooks = await benchWebhooks(api, { sequential: SEQUENTIAL, total: TOTAL, concurrency: CONCURRENCY });

      const { all: tokenLags, first: firstTokenLags } = await tokenLatency(api, SSE_TOKEN_RUNS);
      const firstEvent = await timeToFirstEvent(api, SEQUENTIAL);
      const apiProcess = await startApiProcess(engine.config, CHAINS_DIR);
      const fanout = await fanOut(apiProcess, SSE_RUNS, SSE_CLIENTS).finally(() => apiProcess.stop());
      const scaledOut = await tokenLatencyScaledOut(temporal.address, CHAINS_DIR, SSE_TOKEN_RUNS);

      const bareThroughput = TOTAL / (bareLoad.wallMs / 1000);
      const apiThroughput = TOTAL / (apiLoad.wallMs / 1000);
      const report = {
        bench: 'chainport',
        at: new Date().toISOString(),
        chain: 'chain-3',
        sequential_runs: SEQUENTIAL,
        load: { runs: TOTAL, concurrency: CONCURRENCY },
        ...cost,
        input_steps: input,
        engine: {
          latency_p50_ms: percentile(bareSeq, 50),
          latency_p95_ms: percentile(bareSeq, 95),
          throughput_runs_per_s: round(bareThroughput),
        },
        api: {
          sync_p50_ms: versus(percentile(apiSeq, 50), percentile(bareSeq, 50)),
          sync_p95_ms: versus(percentile(apiSeq, 95), percentile(bareSeq, 95)),
          async_start_p50_ms: percentile(asyncStart, 50),
          throughput_runs_per_s: versus(apiThroughput, bareThroughput),
          get_run_finished_p50_ms: versus(percentile(getFinished, 50), percentile(bareDescribe, 50)),
          get_run_running_p50_ms: percentile(getRunning, 50),
        },
        webhooks: {
          completion_to_first_attempt_p50_ms: under(webhooks.completion_to_first_attempt_p50_ms, 250),
          completion_to_first_attempt_p95_ms: webhooks.completion_to_first_attempt_p95_ms,
          delivered_runs_per_s: versus(webhooks.delivered_runs_per_s, apiThroughput),
        },
        sse: {
          token_latency_p50_ms: under(percentile(tokenLags, 50), 50),
          token_latency_p95_ms: under(percentile(tokenLags, 95), 150),
          first_token_p50_ms: under(percentile(firstTokenLags, 50), 60),
          words_measured: tokenLags.length,
          first_event_p50_ms: under(percentile(firstEvent, 50), 100),
          fanout: { ...fanout, api_rss_peak_mb: under(fanout.api_rss_peak_mb, 300), lag_p95_ms: under(fanout.lag_p95_ms, 1000) },
          /** The same token figures with two API processes, a worker process and Redis carrying the tokens. */
          scaled_out_redis: {
            token_latency_p50_ms: under(percentile(scaledOut.all, 50), 50),
            token_latency_p95_ms: under(percentile(scaledOut.all, 95), 150),
            first_token_p50_ms: under(percentile(scaledOut.first, 50), 60),
            words_measured: scaledOut.all.length,
          },
        },
        targets: {
          sync_p50_within_1_25x: percentile(apiSeq, 50) <= 1.25 * percentile(bareSeq, 50),
          get_finished_under_10ms: percentile(getFinished, 50) < 10,
          webhook_first_attempt_p50_under_250ms: webhooks.completion_to_first_attempt_p50_ms < 250,
          sse_token_p50_within_50ms: percentile(tokenLags, 50) <= 50,
          sse_token_p95_within_150ms: percentile(tokenLags, 95) <= 150,
          sse_first_token_p50_within_60ms: percentile(firstTokenLags, 50) <= 60,
          sse_scaled_out_token_p50_within_50ms: percentile(scaledOut.all, 50) <= 50,
          sse_scaled_out_token_p95_within_150ms: percentile(scaledOut.all, 95) <= 150,
          sse_first_event_p50_under_100ms: percentile(firstEvent, 50) < 100,
          sse_fanout_api_rss_under_300mb: fanout.api_rss_peak_mb < 300,
          sse_fanout_lag_p95_under_1s: fanout.lag_p95_ms < 1000,
          input_answer_to_next_agent_p95_under_1s: input.answer_to_next_agent_p95_ms.met,
        },
      };
      writeReport(report);
    } finally {
      await api.close();
    }
  } finally {
    await engine.stop();
    await temporal.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
