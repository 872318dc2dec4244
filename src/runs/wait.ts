import { WorkflowFailedError, type Client } from '@temporalio/client';

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
