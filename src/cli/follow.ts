// Following a run's events, for `run --stream` and `runs events`: the live view on a terminal, one
// JSON line per event otherwise; Ctrl-C asks whether to cancel the run or detach from it.
import { createInterface } from 'node:readline/promises';
import { Ajv2020 } from 'ajv/dist/2020.js';
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
      if (event.event !== 'run.waiting' || runId === undefined) continue;
      // Someone at a terminal answers here; anyone else gets the waiting event and a documented exit code.
      if (!view || !process.stdin.isTTY) return waitingExit(runId, event.data.step);
      view.pause();
      await client.input(runId, event.data.step, await askInput(event.data), { signal: detach.signal });
      view.resume();
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

function waitingExit(runId: string, step: string): number {
  note(`${runId} waits for input at "${step}". Answer with: chainport runs input ${runId} --step ${step} --value '<JSON>'`);
  return EXIT.waitingForInput;
}

/** Shows an input step's prompt and asks for a JSON answer until one matches the step's schema. */
async function askInput(request: { step: string; prompt: string; schema: Record<string, unknown> }): Promise<unknown> {
  const validate = new Ajv2020({ allErrors: true, strict: false }).compile(request.schema);
  process.stderr.write(`\n${pc.magenta('?')} ${pc.bold(request.step)}: ${terminalSafe(request.prompt)}\n${pc.dim(`  answer as JSON matching ${JSON.stringify(request.schema)}`)}\n`);
  const rl = createInterface({ input: process.stdin, output: process.stderr, prompt: '> ' });
  // Lines are read from the interface's iterator, which buffers them: a line typed (or pasted) before the
  // next prompt is answered, not lost.
  const lines = rl[Symbol.asyncIterator]();
  try {
    for (;;) {
      rl.prompt();
      const next = await lines.next();
      if (next.done) throw new Error('The terminal closed before an answer was given.');
      const text: string = next.value;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        process.stderr.write(pc.red('  not JSON; try again\n'));
        continue;
      }
      if (validate(value)) return value;
      process.stderr.write(pc.red(`  ${validate.errors?.map((e) => `${e.instancePath || 'value'} ${e.message}`).join('; ')}\n`));
    }
  } finally {
    rl.close();
  }
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
