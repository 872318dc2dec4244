// `npm run cluster`: the production topology on this machine — PostgreSQL, the Temporal server built
// from Go modules, N workers and M APIs — until Ctrl-C, which stops it all in order.
//   npm run cluster -- --apis 2 --workers 2 --api-port 3000 --temporal-port 7233 [--dist]
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startCluster } from './cluster.js';
import { REPO_ROOT } from './processes.js';

const { values } = parseArgs({
  options: {
    apis: { type: 'string', default: '2' },
    workers: { type: 'string', default: '2' },
    'api-port': { type: 'string', default: process.env.PORT ?? '3000' },
    'temporal-port': { type: 'string', default: '7233' },
    dist: { type: 'boolean', default: false },
  },
});

function count(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, not ${text}`);
  return n;
}

async function main(): Promise<void> {
  const dataDir = path.resolve(process.env.CHAINPORT_DATA_DIR ?? path.join(REPO_ROOT, 'data'));
  if (values.dist && !existsSync(path.join(REPO_ROOT, 'dist', 'worker.js'))) throw new Error('--dist runs the production build, and there is none: run `npm run build` first.');
  const logDir = path.join(dataDir, 'cluster-logs');
  mkdirSync(logDir, { recursive: true });
  const started = Date.now();
  const cluster = await startCluster({
    apis: count('apis', values.apis),
    workers: count('workers', values.workers),
    apiPort: count('api-port', values['api-port']),
    temporalPort: count('temporal-port', values['temporal-port']),
    entry: values.dist ? 'dist' : 'source',
    logDir,
    // The APIs share the data folder, so they share `npm start`'s development key and the README's curl works.
    env: { CHAINPORT_DATA_DIR: dataDir },
  });
  const first = cluster.apis[0]?.url;
  const lines = [
    '',
    `  Chainport cluster is running (${Math.round((Date.now() - started) / 1000)} s to start)`,
    `    PostgreSQL   127.0.0.1:${cluster.postgres.port}   user ${cluster.postgres.user}, databases temporal and temporal_visibility`,
    `    Temporal     ${cluster.temporal.address}   namespace ${cluster.namespace}, task queue ${cluster.taskQueue}   (no Web UI: see README)`,
    ...cluster.apis.map((api) => `    ${api.name.padEnd(12)} ${api.url}   (pid ${api.pid})`),
    ...cluster.workers.map((w) => `    ${w.name.padEnd(12)} pid ${w.pid}`),
    `    Logs         ${logDir}`,
    '',
    ...(first
      ? [
          '  Start a run (the development key of ./data/dev-api-key, shared by every API):',
          `    KEY=$(cat ${path.relative(process.cwd(), path.join(dataDir, 'dev-api-key')) || 'data/dev-api-key'})`,
          `    curl -s -X POST ${first}/api/v1/chains/writing-pipeline -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d '{"input":{"topic":"durable agents"}}'`,
          '',
        ]
      : []),
    '  Press Ctrl-C to stop (APIs, then workers, then Temporal, then PostgreSQL).',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the cluster…\n`);
    cluster.stop().then(
      () => {
        process.stdout.write('cluster stopped\n');
        process.exit(0);
      },
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
