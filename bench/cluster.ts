// `npm run bench -- --cluster`: the cost figures of the embedded default (bench/cost.ts) measured on the
// production topology of `npm run cluster` — PostgreSQL, the Temporal server built from Go modules, two
// API processes and two worker processes — with CPU per run of each process, Temporal and PostgreSQL
// included. Requests alternate between the two APIs, as a load balancer would spread them.
import { startCluster } from '../src/cluster/cluster.js';
import { CALLERS } from '../test/helpers/api.js';
import { measureCost } from './cost.js';
import { sampleTree, type ProcSample } from './proc.js';
import type { Service } from './service.js';

export async function costOnCluster(chainsDir: string, options: Parameters<typeof measureCost>[1]) {
  const cluster = await startCluster({
    apis: 2,
    workers: 2,
    apiPort: 0,
    isolate: true,
    log: (line) => process.stderr.write(`bench: ${line}\n`),
    env: {
      CHAINPORT_CHAINS_DIR: chainsDir,
      CHAINPORT_API_KEYS: `alice:${CALLERS.alice}`,
      CHAINPORT_RATE_LIMIT_PER_MIN: '1000000',
      CHAINPORT_MAX_CONCURRENT_RUNS: '100000',
      // As `npm start` logs: the access log at info costs the same in both.
      LOG_LEVEL: 'info',
    },
  });
  try {
    // Each process tree under its role's name: PostgreSQL's backends count as `postgresql`. Memory is
    // the proportional set size: every backend maps PostgreSQL's shared buffers, which RSS would count
    // once per backend.
    const roots = (): Array<[string, number | undefined]> => [
      ...cluster.apis.map((a): [string, number] => [a.name, a.pid]),
      ...cluster.workers.map((w): [string, number] => [w.name, w.pid]),
      ['temporal-server', cluster.temporal.pid()],
      ['postgresql', cluster.postgres.pid()],
    ];
    const sample = (): ProcSample[] => roots().flatMap(([name, pid]) => (pid === undefined ? [] : sampleTree(pid).map((p) => ({ ...p, name, rssMb: p.pssMb || p.rssMb }))));
    let next = 0;
    const urls = cluster.apis.map((a) => a.url!);
    const service: Service = {
      get url() {
        return urls[next++ % urls.length]!;
      },
      key: CALLERS.alice,
      temporal: { address: cluster.temporal.address, namespace: cluster.namespace },
      pid: process.pid,
      sample,
      stop: () => cluster.stop(),
    };
    return { topology: { apis: cluster.apis.length, workers: cluster.workers.length, temporal_server: 'built from Go modules', persistence: 'PostgreSQL' }, ...(await measureCost(service, options)) };
  } finally {
    await cluster.stop();
  }
}
