// Following a run's events, for `run --stream` and `runs events`: the live view on a terminal, one
// JSON line per event otherwise; Ctrl-C asks whether to cancel the run or detach from it.
import { createInterface } from 'node:readline/promises';
import pc from 'picocolors';
import type { Chainport, RunStreamEvent } from '../client/index.js';
import { EXIT, note, printJson } from './context.js';
import { StreamView } from './stream-view.js';
import { terminalSafe } from './terminal-text.js';

export interface FollowOptions {
  json: boolean;
}

/** Opens the event stream; aborting the signal closes it (the run goes on). */
export type OpenStream = (signal: AbortSignal) => AsyncIterable<RunStreamEvent>;

/** Follows the stream to the run's last event and answers the exit code: 0 completed, 1 not, 130 detached. */
export async function follow(client: Chainport, open: OpenStream, options: FollowOptions): Promise<number> {
  const view = process.stdout.isTTY && !options.json ? new StreamView() : undefined;
  const detach = new AbortController();
  const onInterrupt = () => detach.abort(new Error('interrupted'));
  // `on`, not `once`: log-update's cursor restorer (signal-exit) re-raises SIGINT when it is the last listener left.
  process.on('SIGINT', onInterrupt);
  let runId: string | undefined;
  let last: RunStreamEvent | undefined;
  view?.start();
  try {
    for await (const event of open(detach.signal)) {
      if (event.event === 'run.started') runId = event.data.run_id;
      if (view) view.update(event);
      else printJson({ event: event.event, id: event.id, data: event.data });
      last = event;
    }
  } catch (err) {
    if (!detach.signal.aborted) {
      view?.finish();
      throw err;
    }
  } finally {
    process.off('SIGINT', onInterrupt);
  }
  if (detach.signal.aborted) {
    view?.finish();
    return interrupted(client, runId, view !== undefined);
  }
  view?.finish(last);
  if (view && last?.event === 'run.completed') process.stdout.write(`${formatOutput(last.data.output)}\n`);
  return last?.event === 'run.completed' ? EXIT.ok : EXIT.runNotCompleted;
}

/** After Ctrl-C: on a terminal, ask whether to cancel (default: detach); otherwise detach. */
async function interrupted(client: Chainport, runId: string | undefined, interactive: boolean): Promise<number> {
  if (runId === undefined) {
    note('Detached before the run reported its id; find it with `chainport runs list`.');
    return EXIT.interrupted;
  }
  if (interactive && process.stdin.isTTY && (await confirm('Cancel the run? [y/N] '))) {
    await client.cancel(runId);
    note(`${pc.yellow('Cancelling')} ${runId}.`);
    return EXIT.runNotCompleted;
  }
  note(`Detached; ${runId} goes on. Re-attach with: chainport runs events ${runId}`);
  return EXIT.interrupted;
}

/** A yes/no question on the terminal; anything but y/yes, or a second Ctrl-C, is no. */
async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const abort = new AbortController();
  rl.on('SIGINT', () => abort.abort());
  try {
    const answer = await rl.question(question, { signal: abort.signal });
    return /^y(es)?$/i.test(answer.trim());
  } catch {
    return false;
  } finally {
    rl.close();
  }
}

/** A run's output for a person: text as is, anything else as indented JSON. */
export function formatOutput(output: unknown): string {
  return terminalSafe(typeof output === 'string' ? output : JSON.stringify(output, null, 2));
}
