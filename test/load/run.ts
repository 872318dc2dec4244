// `npm run test:load`: chain-3 runs through the real API from a mix of sync, async-poll, streaming and
// webhook callers, and runs of the approval chain whose input step their callers answer (with the API
// key, or through the respond_url of their run.input_required webhook), at a fixed concurrency, while
// faults hit the stack (a worker SIGKILLed, the Temporal server restarted, the webhook receiver down,
// streams dropped), then checks nothing was lost and writes bench/results/load-<timestamp>.{json,md}.
// Exit code 1 on any loss.
//
//   npm run test:load -- --runs 2000 --concurrency 50      (the defaults)
//   npm run test:load -- --soak 15m                        (start runs until 15 min passed, then drain; faults every 5 min)
//   flags: --no-faults, --receiver-outage 30s, --seed N
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { parseDuration } from '../../src/durations.js';
import { CALLER_KINDS, INPUT_CALLERS, runCaller, type RunSpec } from './callers.js';
import { startFaults, type FaultRunner } from './faults.js';
import { LoadHttp, Recorder } from './http.js';
import { buildReport, writeReport } from './report.js';
import { startStack, type Stack } from './stack.js';
import { verifyRuns, type RunRecord } from './verify.js';

/** A caller that has not seen its run end after this long gives up: the run counts as lost. */
const RUN_DEADLINE_MS = 5 * 60_000;
/** Share of stream callers whose connection the harness drops once, mid-run. */
const STREAM_DROP_RATE = 0.1;
/** A soak repeats the fault cycle about this often. */
const SOAK_FAULT_CYCLE_MS = 5 * 60_000;

interface Options {
  runs: number;
  concurrency: number;
  soakMs: number | undefined;
  faults: boolean;
  receiverOutageMs: number;
  seed: number;
  /** On the Temporal server on PostgreSQL of `npm run cluster` instead of the dev server. */
  cluster: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '2000' },
      concurrency: { type: 'string', default: '50' },
      soak: { type: 'string' },
      'no-faults': { type: 'boolean', default: false },
      'receiver-outage': { type: 'string', default: '30s' },
      seed: { type: 'string' },
      cluster: { type: 'boolean', default: false },
    },
  });
  const positive = (flag: string, text: string) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} must be a positive integer, got "${text}"`);
    return n;
  };
  const duration = (flag: string, text: string) => {
    const ms = parseDuration(text);
    if (ms === undefined) throw new Error(`--${flag} must be a duration such as 30s or 15m, got "${text}"`);
    return ms;
  };
  return {
    runs: positive('runs', values.runs),
    concurrency: positive('concurrency', values.concurrency),
    soakMs: values.soak === undefined ? undefined : duration('soak', values.soak),
    faults: !values['no-faults'],
    receiverOutageMs: duration('receiver-outage', values['receiver-outage']),
    seed: values.seed === undefined ? randomBytes(4).readUInt32BE() : seedFrom(values.seed),
    cluster: values.cluster,
  };
}

function seedFrom(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`--seed must be an integer from 0 to 4294967295, got "${text}"`);
  return n;
}

/** A small seeded generator (mulberry32): the same seed gives the same mix of drops. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const say = (line: string) => process.stderr.write(`load: ${line}\n`);

async function runLoad(stack: Stack, opts: Options): Promise<number> {
  const random = seeded(opts.seed);
  const recorder = new Recorder();
  const http = new LoadHttp(stack.api, recorder);
  const nonce = randomBytes(4).toString('hex');
  const records: RunRecord[] = [];
  let next = 0;
  let done = 0;

  const spec = (index: number): RunSpec => {
    const kind = CALLER_KINDS[index % CALLER_KINDS.length]!;
    const answers = kind in INPUT_CALLERS;
    return {
      index,
      kind,
      idempotencyKey: `load-${nonce}-${index}`,
      input: answers ? { topic: `load run ${index}`, caller: kind, n: index } : { caller: kind, n: index },
      deadline: Date.now() + RUN_DEADLINE_MS,
      dropAfterEvents: kind === 'stream' && random() < STREAM_DROP_RATE ? 1 + Math.floor(random() * 8) : undefined,
      ...(answers && { answer: { approved: true, note: `${kind} ${nonce}-${index}` } }),
    };
  };

  const since = Date.now();
  const t0 = performance.now();
  const keepStarting = opts.soakMs === undefined ? () => next < opts.runs : () => Date.now() - since < opts.soakMs!;
  const progress = opts.soakMs === undefined ? () => next / opts.runs : () => Math.min(1, (Date.now() - since) / opts.soakMs!);
  let faults: FaultRunner | undefined;
  if (opts.faults) {
    faults = startFaults({
      cycles: opts.soakMs === undefined ? 1 : Math.max(1, Math.round(opts.soakMs / SOAK_FAULT_CYCLE_MS)),
      progress,
      since,
      actions: {
        temporal_restart: async () => ({ detail: await stack.restartTemporal() }),
        worker_sigkill: async () => ({ detail: await stack.killWorker() }),
        receiver_outage: async () => {
          stack.receiver.outage(opts.receiverOutageMs);
          return { detail: { duration_s: opts.receiverOutageMs / 1000 }, lastsMs: opts.receiverOutageMs };
        },
      },
    });
  }
  const ticker = setInterval(() => say(`${done} runs done, ${next - done} in flight, ${Math.round((Date.now() - since) / 1000)} s`), 15_000);

  say(`seed ${opts.seed}; ${opts.soakMs === undefined ? `${opts.runs} runs` : `soak for ${opts.soakMs / 1000} s`} at concurrency ${opts.concurrency}, faults ${opts.faults ? 'on' : 'off'}`);
  const load = Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (keepStarting()) {
        const run = spec(next++);
        records[run.index] = { spec: run, outcome: await runCaller({ http, receiver: stack.receiver }, run) };
        done++;
      }
    }),
  );
  try {
    await (faults ? Promise.race([load, faults.failure]) : load);
  } finally {
    clearInterval(ticker);
    await faults?.stop();
  }
  const loadMs = performance.now() - t0;
  say(`${records.length} runs done in ${Math.round(loadMs / 1000)} s; checking every run`);

  const v0 = performance.now();
  const checks = await verifyRuns(records, { http: new LoadHttp(stack.api, new Recorder()), receiver: stack.receiver, engine: stack.engine });
  const report = buildReport({
    args: { runs: opts.soakMs === undefined ? opts.runs : null, concurrency: opts.concurrency, soak_s: opts.soakMs === undefined ? null : opts.soakMs / 1000, faults: opts.faults, receiver_outage_s: opts.receiverOutageMs / 1000 },
    seed: opts.seed,
    records,
    recorder,
    loadMs,
    verifyMs: performance.now() - v0,
    faults: { scheduled: faults?.scheduled ?? 0, applied: faults?.applied ?? [] },
    receiver: stack.receiver.stats(),
    checks,
    apiErrors: stack.apiErrors.counts,
    apiMetrics: await stack.apiMetrics(),
    workerMetrics: await stack.workerMetrics(),
  });
  const files = writeReport(report);

  say(`${report.runs} runs in ${report.load_duration_s} s (${report.throughput_runs_per_s} runs/s); loss ${JSON.stringify(report.loss)}`);
  for (const [kind, c] of Object.entries(report.callers)) say(`  ${kind}: ${c.runs} runs, p50 ${c.p50_ms} ms, p95 ${c.p95_ms} ms, p99 ${c.p99_ms} ms`);
  say(`faults applied: ${report.faults.applied.map((f) => `${f.fault}@${f.at_s}s`).join(', ') || 'none'}`);
  say(`report: ${files.json}`);
  const internal = Object.values(report.routes).reduce((n, route) => n + (route.outcomes['500'] ?? 0), 0);
  if (internal > 0) say(`warning: the API answered 500 internal ${internal} times (retried; not a loss, but a bug): ${JSON.stringify(report.api_errors_logged)}`);
  for (const check of report.checks.filter((c) => !c.ok)) say(`FAILED: ${check.name}: ${check.detail}`);
  for (const f of report.failures.slice(0, 20)) say(`FAILED run ${f.index} (${f.kind}, ${f.run_id}): ${f.problems.join('; ')}`);
  if (report.failed > 0) say(`worker output:\n${stack.workerOutput()}`);
  process.stdout.write(`load: ${report.passed} passed, ${report.failed} failed\n`);
  return report.failed === 0 ? 0 : 1;
}

async function main(): Promise<number> {
  let opts: Options;
  try {
    opts = parseOptions();
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\nusage: npm run test:load -- [--runs 2000] [--concurrency 50] [--soak 15m] [--no-faults] [--receiver-outage 30s] [--seed N] [--cluster]\n`);
    return 2;
  }
  say(`starting Temporal${opts.cluster ? ' on PostgreSQL (the cluster topology)' : ''}, two workers, the API and the webhook receiver`);
  const stack = await startStack({ cluster: opts.cluster });
  try {
    return await runLoad(stack, opts);
  } finally {
    await stack.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`load: the load test could not run: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.stdout.write('load: 0 passed, 1 failed\n');
    process.exit(1);
  },
);
