import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import type { InjectedSinks, NativeConnection, WorkflowBundleOption } from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { createActivities } from './activities/index.js';
import type { AgentKind } from './activities/agents/kind.js';
import { createAgentKinds } from './activities/agents/registry.js';
import { loadConfig, type Config } from './config.js';
import { createLogger } from './logger.js';
import { registry, runsEnded } from './metrics.js';
import type { RunSinks, RunState } from './workflows/types.js';
import type { LocalRuns } from './runs/local-runs.js';
import { connectClient, connectWorker } from './temporal/connection.js';
import { checkBeforeStart } from './preflight.js';
import { installTemporalRuntime } from './temporal/runtime.js';
import { startTracing, type Tracing } from './telemetry/tracing.js';
import { prebuiltWorkflowBundle } from './temporal/workflow-bundle.js';
import { ensureSearchAttributes } from './temporal/search-attributes.js';
import { webhookResolver } from './webhooks/resolve.js';
import { SecretBox } from './webhooks/secret-box.js';
import { RESPOND_LINK_KEY, RespondLinks } from './security/respond-links.js';
import type { TokenChannel } from './tokens/channel.js';
import { redisTokenChannel } from './tokens/redis.js';

export interface WorkerDeps {
  config: Config;
  connection: NativeConnection;
  /** A client for what activities tell Temporal themselves (webhook attempts reported to their delivery). */
  client: Client;
  /** Custom agent kinds, registered beside the built-ins. */
  customKinds?: AgentKind[];
  /** A pre-built workflow bundle (tests build one and share it); otherwise the bundle of the current code, built once in a child process. */
  workflowBundle?: WorkflowBundleOption;
  /** Where agents push their output as they emit it, for live streams; heartbeats carry it regardless. */
  tokens?: TokenChannel;
  /** Told of each run's progress and end as the workflow moves, for an API in this process. */
  localRuns?: LocalRuns;
  /**
   * This process's tracing, when on: activity spans and the sink of workflow spans. A `workflowBundle`
   * handed in must then be one built with workflowInterceptorModules(true).
   */
  tracing?: Tracing;
}

/** Builds a worker for the chain task queue: the chain workflow plus every agent kind as the runAgent activity. */
export async function createWorker(deps: WorkerDeps): Promise<Worker> {
  const { config } = deps;
  const kinds = createAgentKinds(config, deps.customKinds);
  const secrets = SecretBox.fromConfig(config);
  return Worker.create({
    connection: deps.connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowBundle: deps.workflowBundle ?? { codePath: await prebuiltWorkflowBundle(path.join(config.dataDir, 'workflow-bundles'), { traced: deps.tracing !== undefined }) },
    activities: createActivities({
      kinds,
      webhooks: { client: deps.client, secrets, respondLinks: new RespondLinks(secrets.deriveKey(RESPOND_LINK_KEY), config.api.publicUrl), allowPrivate: config.webhooks.allowPrivate, resolve: webhookResolver(config.webhooks) },
      reruns: { client: deps.client, config },
      agents: { tokens: deps.tokens, heartbeatThrottleMs: config.worker.heartbeatThrottleMs },
    }),
    sinks: { ...runSinks(deps.localRuns), ...deps.tracing?.worker.sinks },
    interceptors: deps.tracing?.worker.interceptors,
    maxConcurrentActivityTaskExecutions: config.worker.maxActivities,
    maxConcurrentWorkflowTaskExecutions: config.worker.maxWorkflowTasks,
    // Streaming readers see agent output through heartbeats, so they must reach the server often.
    maxHeartbeatThrottleInterval: config.worker.heartbeatThrottleMs,
    defaultHeartbeatThrottleInterval: config.worker.heartbeatThrottleMs,
    shutdownGraceTime: config.worker.shutdownGraceMs,
  });
}

/**
 * Hands each run's progress to an API in this process, and counts each run's end in this worker's
 * metrics and announces it, once: sinks are not called while a history replays.
 */
export function runSinks(localRuns?: LocalRuns): InjectedSinks<RunSinks> {
  const progressed = (_info: WorkflowInfo, state: RunState) => localRuns?.progressed(state);
  const ended = (info: WorkflowInfo, end: Parameters<RunSinks['runs']['ended']>[0]) => {
    runsEnded.inc({ chain: end.chain, status: end.status });
    localRuns?.ended(info.workflowId);
  };
  return { runs: { progressed: { fn: progressed, callDuringReplay: false }, ended: { fn: ended, callDuringReplay: false } } };
}

/**
 * The shipped data-enrichment chain calls ${CHAINPORT_AGENT_ENRICH_URL}; unless set, it points at the demo
 * endpoint of the API on this machine so the demo works offline (`npm start` allows http agents to
 * reach 127.0.0.1; elsewhere CHAINPORT_HTTP_AGENT_ALLOW_HOSTS must name it).
 */
export function withDemoDefaults(config: Config): Config {
  const envDefaults = { ...config.httpAgent.envDefaults, CHAINPORT_AGENT_ENRICH_URL: `http://127.0.0.1:${config.api.port}/demo/enrich` };
  return { ...config, httpAgent: { ...config.httpAgent, envDefaults } };
}

/** Registers our search attributes when missing, so a fresh external cluster needs no manual step. */
export async function prepareNamespace(config: Config): Promise<string[]> {
  const { connection } = await connectClient(config);
  try {
    return await ensureSearchAttributes(connection, config.temporal.namespace);
  } finally {
    await connection.close();
  }
}

/** A standalone worker's own /metrics (agent durations and costs, webhook attempts, runs ended). */
async function serveMetrics(port: number, host: string): Promise<void> {
  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  server.unref();
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
}

async function main(): Promise<void> {
  const config = withDemoDefaults(loadConfig());
  // Fail fast on bad chain files or keys: a worker that cannot run the catalog's agents should not poll.
  checkBeforeStart(config, { api: false });
  const log = createLogger(config, 'worker');
  installTemporalRuntime(log, { sdkMetricsAddress: config.sdkMetricsAddress });
  if (config.workerMetricsPort !== undefined) await serveMetrics(config.workerMetricsPort, config.workerMetricsHost);
  const tracing = await startTracing(config, 'chainport-worker');
  const added = await prepareNamespace(config);
  if (added.length) log.info({ added }, 'registered search attributes');
  const connection = await connectWorker(config);
  const { client, connection: clientConnection } = await connectClient(config, tracing);
  const tokens = await redisTokenChannel(config, log);
  const worker = await createWorker({ config, connection, client, tokens, tracing });
  log.info({ taskQueue: config.temporal.taskQueue, namespace: config.temporal.namespace }, 'worker polling');
  // Worker.run resolves after SIGINT/SIGTERM: in-flight tasks finish or are handed back within the grace time.
  await worker.run();
  await tokens?.close();
  await clientConnection.close();
  await connection.close();
  await tracing?.shutdown();
  log.info('worker stopped');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
