// Following a rerun batch to its end, for `rerun --chain`: its progress redrawn in place on a
// terminal, a line per change otherwise (a JSON line with --json), then each run's result.
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogUpdate } from 'log-update';
import pc from 'picocolors';
import type { Chainport, RerunBatch } from '../client/index.js';
import { printJson } from './context.js';
import { progressBar } from './stream-view.js';
import { terminalSafe } from './terminal-text.js';

/** The server's `Retry-After` while a batch runs: asking more often would show nothing new. */
const POLL_MS = 2000;

/** Polls the batch until it has completed, showing each change; aborting `signal` stops following (the batch goes on). */
export async function followBatch(client: Chainport, batchId: string, options: { json: boolean; signal: AbortSignal }): Promise<RerunBatch> {
  const live = process.stdout.isTTY && !options.json ? createLogUpdate(process.stdout, { showCursor: false }) : undefined;
  let shown = '';
  try {
    for (;;) {
      const batch = await client.rerunBatchStatus(batchId, { signal: options.signal });
      const { results: _results, ...progress } = batch;
      const state = JSON.stringify(progress);
      if (live) live(progressLine(batch));
      else if (state !== shown) {
        if (options.json) printJson(progress);
        else process.stdout.write(`${progressLine(batch)}\n`);
      }
      shown = state;
      if (batch.status === 'completed') return batch;
      await sleep(POLL_MS, undefined, { signal: options.signal });
    }
  } finally {
    live?.done();
  }
}

/** The batch at a glance: how many reruns started or could not, of how many runs. */
function progressLine(batch: RerunBatch): string {
  const done = batch.started + batch.failed;
  const of = batch.total === null ? 'listing runs…' : `${done}/${batch.total} runs`;
  const failed = batch.failed ? pc.red(`${batch.failed} failed`) : '0 failed';
  return `${pc.bold(batch.chain)} from ${batch.from} ${pc.dim(batch.batch_id)}  ${progressBar(done, batch.total ?? 0)} ${of} · ${batch.started} started · ${failed}`;
}

/** Each run's result, then a total: the rerun it got, or why it got none. */
export function printBatchResults(batch: RerunBatch): void {
  const lines = batch.results.map((r) =>
    r.run_id !== undefined ? `${pc.green('✔')} ${r.original_run_id} → ${r.run_id}` : `${pc.red('✖')} ${r.original_run_id}: ${r.error?.code}: ${terminalSafe(r.error?.message ?? '')}`,
  );
  const failed = batch.failed ? pc.red(`${batch.failed} could not be re-run`) : 'none failed';
  lines.push(`${batch.started} rerun(s) started of ${batch.total ?? 0} run(s), ${failed}. Follow one with: chainport runs events <run_id>`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
