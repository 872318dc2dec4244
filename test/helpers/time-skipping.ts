import { after, before } from 'node:test';
import { TestWorkflowEnvironment, type EphemeralServerExecutable } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createAgentKinds } from '../../src/activities/agents/registry.js';
import type { ChainCatalog } from '../../src/chains/catalog.js';
import { loadChains } from '../../src/chains/load.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { installTemporalRuntime } from '../../src/temporal/runtime.js';
import { SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes.js';
import { createWorker } from '../../src/worker.js';
import { testConfig, workflowBundle } from './engine.js';
import { Started } from './started.js';
import { resolveTestServer } from './test-server.js';

export interface TimeSkipping {
  /** The SDK's environment: `env.client` skips time while it awaits a result, `env.sleep` skips a given span. */
  env: TestWorkflowEnvironment;
  /** What `start` in helpers/runs.ts needs: the run starts through the code path the API uses. */
  engine: { config: Config; catalog: ChainCatalog; client: TestWorkflowEnvironment['client'] };
}

// One resolution per test process: the finder's lines are said once, not once per suite.
let executable: Promise<EphemeralServerExecutable> | undefined;

/**
 * Temporal's time-skipping test server for one `describe` block, with the real worker (the workflow
 * bundle and every activity) on it. While `env.client` awaits a result (or `env.sleep` runs), the server
 * jumps to its next timer whenever no workflow task or activity is in flight, so a rule about minutes or
 * hours is tested with minutes or hours in well under a second; a running activity still takes its real
 * time. Started in `before`, stopped in `after`; a setup failure stops what already started.
 */
export function useTimeSkipping(options: { env?: Record<string, string> } = {}): TimeSkipping {
  const suite = {} as TimeSkipping;
  const started = new Started();
  before(() =>
    started.setup(async () => {
      installTemporalRuntime(createLogger(loadConfig({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error' }), 'test'));
      executable ??= resolveTestServer();
      const env = started.add('test server', await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: await executable } }), (e) => e.teardown());
      const config = testConfig(env.address, options.env);
      // The test server cannot list search attributes (so ensureSearchAttributes fails there), only add them.
      const searchAttributes = Object.fromEntries(Object.entries(SEARCH_ATTRIBUTES).map(([name, { indexed }]) => [name, indexed]));
      await env.connection.withDeadline(Date.now() + 10_000, () => env.connection.operatorService.addSearchAttributes({ namespace: config.temporal.namespace, searchAttributes }));
      suite.env = env;
      suite.engine = { config, catalog: loadChains(config, createAgentKinds(config)), client: env.client };
      const worker = await createWorker({ config, connection: env.nativeConnection, client: env.client, workflowBundle: await workflowBundle() });
      const running = worker.run();
      started.add('worker', worker, (w: Worker) => {
        if (w.getState() === 'RUNNING') w.shutdown();
        return running;
      });
    }),
  );
  after(() => started.stopAll());
  return suite;
}
