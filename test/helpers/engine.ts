import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, type NativeConnection, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { AgentKind } from '../../src/activities/agents/kind.js';
import { createAgentKinds } from '../../src/activities/agents/registry.js';
import type { ChainCatalog } from '../../src/chains/catalog.js';
import { loadChains } from '../../src/chains/load.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { connectClient, connectWorker } from '../../src/temporal/connection.js';
import { installTemporalRuntime } from '../../src/temporal/runtime.js';
import type { TokenChannel } from '../../src/tokens/channel.js';
import type { LocalRuns } from '../../src/runs/local-runs.js';
import { createWorker } from '../../src/worker.js';
import { WORKFLOWS_PATH, workflowInterceptorModules } from '../../src/temporal/workflow-bundle.js';
import type { Tracing } from '../../src/telemetry/tracing.js';

export const FIXTURE_CHAINS = path.resolve(import.meta.dirname, '../fixtures/chains');

export const TEST_SECRET_KEY = randomBytes(32).toString('base64');

const bundles = new Map<boolean, Promise<WorkflowBundleWithSourceMap>>();

/** The workflow bundle (`traced`: with the tracing interceptors), each built once per test process (bundling takes seconds on 2 cores). */
export function workflowBundle({ traced = false }: { traced?: boolean } = {}): Promise<WorkflowBundleWithSourceMap> {
  let bundle = bundles.get(traced);
  if (!bundle) bundles.set(traced, (bundle = bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, workflowInterceptorModules: workflowInterceptorModules(traced), logger: quietLogger })));
  return bundle;
}

const quietLogger = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };

/** A Config for tests: the given Temporal server, a task queue of its own, the fixture chains. */
export function testConfig(address: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    TEMPORAL_ADDRESS: address,
    TEMPORAL_TASK_QUEUE: `test-${randomUUID()}`,
    CHAINPORT_CHAINS_DIR: FIXTURE_CHAINS,
    LOG_LEVEL: 'warn',
    // One key per test process, so webhook secrets sealed by the API open in its workers.
    CHAINPORT_SECRET_KEY: TEST_SECRET_KEY,
    ...env,
  });
}

export interface TestEngine {
  config: Config;
  catalog: ChainCatalog;
  client: Client;
  connection: Connection;
  /** The token channel handed to the engine's workers and to APIs started on it, if any. */
  tokens?: TokenChannel;
  /** Where the engine's workers announce run ends, for APIs started on it, if any. */
  localRuns?: LocalRuns;
  /** Starts an in-process worker on the engine's task queue; stopped by `stop()`. */
  startWorker(customKinds?: AgentKind[]): Promise<Worker>;
  stop(): Promise<void>;
}

/** A client and in-process workers against a running test server; with `tracing`, both traced (and the workers on the traced bundle). */
export async function startEngine(address: string, env: Record<string, string> = {}, options: { tokens?: TokenChannel; localRuns?: LocalRuns; tracing?: Tracing } = {}): Promise<TestEngine> {
  // SDK logs stay quiet in tests unless TEST_LOG_LEVEL asks for them.
  installTemporalRuntime(createLogger(loadConfig({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error' }), 'test'));
  const config = testConfig(address, env);
  const { connection, client } = await connectClient(config, options.tracing);
  const workers: Array<{ worker: Worker; connection: NativeConnection; running: Promise<void> }> = [];
  return {
    config,
    catalog: loadChains(config, createAgentKinds(config)),
    client,
    connection,
    tokens: options.tokens,
    localRuns: options.localRuns,
    async startWorker(customKinds) {
      const nativeConnection = await connectWorker(config);
      const worker = await createWorker({
        config,
        connection: nativeConnection,
        client,
        customKinds,
        workflowBundle: await workflowBundle({ traced: options.tracing !== undefined }),
        tokens: options.tokens,
        localRuns: options.localRuns,
        tracing: options.tracing,
      });
      workers.push({ worker, connection: nativeConnection, running: worker.run() });
      return worker;
    },
    async stop() {
      for (const w of workers) {
        if (w.worker.getState() === 'RUNNING') w.worker.shutdown();
        await w.running.catch(() => undefined);
        await w.connection.close();
      }
      await connection.close();
    },
  };
}
