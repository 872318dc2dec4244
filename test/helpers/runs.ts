import type { Client } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import type { ChainCatalog } from '../../src/chains/catalog.js';
import type { Config } from '../../src/config.js';
import { startRun, type StartRunOptions } from '../../src/runs/start.js';
import { RESULT_MEMO_KEY, progressQuery } from '../../src/workflows/definitions.js';
import type { RunState } from '../../src/workflows/types.js';

/** Starts a fixture chain through the same code path the API uses. */
export async function start(
  engine: { client: Client; config: Config; catalog: ChainCatalog },
  ref: string,
  input: unknown = {},
  extra: Omit<StartRunOptions, 'input' | 'callerId'> = {},
) {
  const chain = engine.catalog.resolve(ref);
  if (!chain) throw new Error(`no fixture chain ${ref}`);
  return startRun(engine.client, engine.config, chain, { input, callerId: 'tester', ...extra });
}

/** Waits for the run to close and returns its final state: the result, or the memo of a failed/cancelled run. */
export async function finalState(client: Client, runId: string): Promise<RunState> {
  const handle = client.workflow.getHandle(runId);
  try {
    return (await handle.result()) as RunState;
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const description = await handle.describe();
    return (await description.memo?.[RESULT_MEMO_KEY]) as RunState;
  }
}

export async function progress(client: Client, runId: string): Promise<RunState> {
  return client.workflow.getHandle(runId).query(progressQuery);
}

/** Polls `check` until it returns a value (not undefined) or the time runs out. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 20_000, label = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Timed out waiting for ${label}${last ? `: ${String(last)}` : ''}`);
}
