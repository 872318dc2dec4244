import { after, before } from 'node:test';
import type { Worker } from '@temporalio/worker';
import { startTestApi, type TestApi } from './api.js';
import { Started } from './started.js';
import { startEngine, type TestEngine } from './engine.js';
import { startTestTemporal, type TestTemporal } from './temporal.js';
import type { TokenChannel } from '../../src/tokens/channel.js';
import type { LocalRuns } from '../../src/runs/local-runs.js';

export interface Stack {
  temporal: TestTemporal;
  engine: TestEngine;
  /** The in-process worker; a suite may stop it to play a lost worker. */
  worker: Worker;
  /** Present unless the suite asked for no API. */
  api: TestApi;
}

export interface StackOptions {
  /** Extra environment for the engine's config (and so the worker and the API). */
  env?: Record<string, string>;
  /** `false` for suites that need no API; otherwise options for startTestApi. */
  api?: false | Parameters<typeof startTestApi>[1];
  /** A token channel shared by the in-process worker and the API, as `npm start` has. */
  tokens?: TokenChannel;
  /** Run ends announced by the in-process worker to the API, as `npm start` has. */
  localRuns?: LocalRuns;
}

/**
 * The whole service for one `describe` block: a real Temporal dev server on a random port, an
 * in-process worker and the real API on 127.0.0.1. Started in `before`, stopped in `after`; if a step
 * fails, whatever already started is stopped before the error is rethrown.
 */
export function useStack(options: StackOptions = {}): Stack {
  const stack = {} as Stack;
  const started = new Started();
  before(() =>
    started.setup(async () => {
      stack.temporal = started.add('temporal', await startTestTemporal(), (t) => t.stop());
      stack.engine = started.add('engine', await startEngine(stack.temporal.address, options.env, { tokens: options.tokens, localRuns: options.localRuns }), (e) => e.stop());
      stack.worker = await stack.engine.startWorker();
      if (options.api !== false) stack.api = started.add('api', await startTestApi(stack.engine, options.api ?? {}), (a) => a.close());
    }),
  );
  after(() => started.stopAll());
  return stack;
}
