import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { RunStatusKey } from '../workflows/definitions.js';
import { describeWorkflow } from './describe.js';

/**
 * Waits for a run to close, at most `timeoutMs` or until `signal` aborts (the caller hung up), and says
 * whether it closed. The long-poll is cancelled on the way out, so no Temporal call outlives the wait.
 */
export async function waitForClose(client: Client, runId: string, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  const timer = setTimeout(stop, timeoutMs);
  signal.addEventListener('abort', stop, { once: true });
  if (signal.aborted) stop();
  try {
    await client.connection.withAbortSignal(controller.signal, () => client.workflow.getHandle(runId).result());
    return true;
  } catch (err) {
    if (controller.signal.aborted) return false;
    // Failed or cancelled runs close too; their state is read from the memo.
    if (err instanceof WorkflowFailedError) return true;
    throw err;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', stop);
  }
}

/** How often a wait looks whether its run paused for input: soon after the start, then at most every second. */
const PAUSE_LOOKS_MS = [250, 250, 500, 500, 1_000];

/**
 * Like waitForClose, saying how the wait ended; with `pausable` (the run's chain has an input step) it
 * also ends, as `paused`, once the run waits for input, so no caller is held for the hours a person may take.
 */
export async function waitForRun(client: Client, runId: string, timeoutMs: number, signal: AbortSignal, pausable: boolean): Promise<'closed' | 'paused' | 'timeout'> {
  if (!pausable) return (await waitForClose(client, runId, timeoutMs, signal)) ? 'closed' : 'timeout';
  const done = new AbortController();
  const stop = () => done.abort();
  signal.addEventListener('abort', stop, { once: true });
  try {
    return await Promise.race([
      waitForClose(client, runId, timeoutMs, done.signal).then((closed) => (closed ? 'closed' : 'timeout')),
      untilPaused(client, runId, done.signal),
    ]);
  } finally {
    stop();
    signal.removeEventListener('abort', stop);
  }
}

/**
 * Resolves `paused` once the run waits for input (its RunStatus search attribute, read with a
 * describe: no worker involved), or `timeout` when `signal` aborts first.
 */
async function untilPaused(client: Client, runId: string, signal: AbortSignal): Promise<'paused' | 'timeout'> {
  for (let look = 0; ; look++) {
    await sleep(PAUSE_LOOKS_MS[Math.min(look, PAUSE_LOOKS_MS.length - 1)]!, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) return 'timeout';
    // A failed look is tried again at the next one; the close wait reports what matters.
    const description = await describeWorkflow(client, runId).catch(() => undefined);
    if (description?.status.name === 'RUNNING' && description.typedSearchAttributes.get(RunStatusKey) === 'waiting_for_input') return 'paused';
  }
}
