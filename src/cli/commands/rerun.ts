// `chainport rerun <run_id> (--from <agent> | --from-index <n>) [--stream]`: re-run one ended run from
// an agent and follow the new run as `run` does; `chainport rerun --chain <name@version> --from <agent>`:
// re-run a batch of ended runs and follow the batch to its per-run results.
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { RerunBatchFilter, RerunStart } from '../../client/index.js';
import { followBatch, printBatchResults } from '../batch-progress.js';
import { EXIT, UsageError, createClient, note, parseInput, parsePositiveInt, printJson, type GlobalOptions } from '../context.js';
import { follow } from '../follow.js';
import { showWaitedRun } from './runs.js';

interface RerunFlags {
  from?: string;
  fromIndex?: number;
  targetChain?: string;
  idempotencyKey?: string;
  // One run only.
  input?: string;
  stream?: boolean;
  maxCost?: number;
  // A batch only.
  chain?: string;
  status?: RerunBatchFilter['status'];
  limit?: number;
  createdAfter?: string;
  createdBefore?: string;
}

const ONE_RUN_ONLY = { input: '--input', stream: '--stream', maxCost: '--max-cost', fromIndex: '--from-index' } as const;
const BATCH_ONLY = { status: '--status', limit: '--limit', createdAfter: '--created-after', createdBefore: '--created-before' } as const;

export function registerRerun(program: Command): void {
  program
    .command('rerun')
    .description('re-run an ended run from one of its agents (the agents before it are reused), or with --chain a batch of ended runs')
    .argument('[run_id]', 'the run to re-run (or --chain for a batch)')
    .option('--from <agent>', 'the first agent to run again, by name')
    .option('--from-index <n>', 'one run: the first agent to run again, by 0-based position', parseIndex)
    .option('--target-chain <name@version>', "the chain version to run (its agents up to --from must match); the original's by default")
    .option('-i, --input <json|@file>', "one run: replaces the original input for the agents that run again")
    .option('--stream', "one run: show the new run live (JSON lines without a terminal or with --json)")
    .option('--max-cost <usd>', 'one run: stop it once it has cost more than this', parseFloat)
    .option('--chain <name@version>', 'a batch: re-run your ended runs of this chain version')
    .option('--status <status>', 'a batch: runs that ended failed (default), completed, cancelled or timed_out')
    .option('--limit <n>', 'a batch: at most this many runs, newest first (1-1000, default 100)', parsePositiveInt('--limit'))
    .option('--created-after <iso>', 'a batch: runs started at or after this time')
    .option('--created-before <iso>', 'a batch: runs started before this time')
    .option('--idempotency-key <key>', 'names the rerun or batch: the same key re-attaches to it (a batch gets one generated and printed)')
    .action(async (runId: string | undefined, flags: RerunFlags, command: Command) => {
      const { json = false } = command.optsWithGlobals<GlobalOptions>();
      if (runId !== undefined && flags.chain !== undefined) throw new UsageError('Give a run_id to re-run one run, or --chain to re-run a batch of runs, not both.');
      if (runId === undefined && flags.chain === undefined) throw new UsageError('Give the run_id of the run to re-run, or --chain <name@version> to re-run a batch of runs.');
      process.exitCode = runId !== undefined ? await rerunOne(runId, flags, json) : await rerunBatch(flags.chain!, flags, json);
    });
}

/** Starts the rerun and follows it like `run`: streamed with --stream, else waited for. Answers the exit code. */
async function rerunOne(runId: string, flags: RerunFlags, json: boolean): Promise<number> {
  refuse(flags, BATCH_ONLY, 'a batch (--chain)');
  if ((flags.from === undefined) === (flags.fromIndex === undefined)) throw new UsageError('Give exactly one of --from <agent> and --from-index <n>.');
  const start: RerunStart = flags.from !== undefined ? { from: flags.from } : { fromIndex: flags.fromIndex! };
  const options = { input: flags.input === undefined ? undefined : parseInput(flags.input), chain: flags.targetChain, maxCost: flags.maxCost, idempotencyKey: flags.idempotencyKey };
  const client = createClient();
  if (flags.stream) return follow(client, (signal) => client.streamRerun(runId, start, { ...options, signal }), { json });
  const accepted = await client.rerun(runId, start, options);
  if (!json) note(`Re-running ${runId} from ${accepted.rerun_of?.from ?? flags.from} as ${accepted.run_id}.`);
  return showWaitedRun(await client.wait(accepted.run_id), json);
}

/**
 * Starts the batch under an Idempotency-Key (the given one, or a new one it prints, so the same command
 * with it re-attaches), follows it to its end and prints each run's result. Exit 1 when some run could
 * not be re-run; 130 on Ctrl-C (the batch goes on).
 */
async function rerunBatch(chain: string, flags: RerunFlags, json: boolean): Promise<number> {
  refuse(flags, ONE_RUN_ONLY, 'one run (a run_id)');
  if (flags.from === undefined) throw new UsageError('A batch needs --from <agent>: the first agent each rerun runs again.');
  const idempotencyKey = flags.idempotencyKey ?? `cp-${randomUUID()}`;
  const client = createClient();
  const filter: RerunBatchFilter = {
    chain,
    status: flags.status,
    from: flags.from,
    createdAfter: flags.createdAfter,
    createdBefore: flags.createdBefore,
    limit: flags.limit,
    targetChain: flags.targetChain,
  };
  const accepted = await client.rerunBatch(filter, { idempotencyKey });
  if (json) printJson({ ...accepted, idempotency_key: idempotencyKey });
  else note(`Batch ${accepted.batch_id} (Idempotency-Key ${idempotencyKey}: run this command again with --idempotency-key ${idempotencyKey} to re-attach).`);

  const detach = new AbortController();
  const onInterrupt = () => detach.abort(new Error('interrupted'));
  process.on('SIGINT', onInterrupt);
  try {
    const batch = await followBatch(client, accepted.batch_id, { json, signal: detach.signal });
    if (json) printJson(batch);
    else printBatchResults(batch);
    return batch.failed > 0 ? EXIT.runNotCompleted : EXIT.ok;
  } catch (err) {
    if (!detach.signal.aborted) throw err;
    note(`Detached; batch ${accepted.batch_id} goes on. Re-attach with the same command and --idempotency-key ${idempotencyKey}.`);
    return EXIT.interrupted;
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

/** A UsageError naming the flags given that belong to the other kind of rerun. */
function refuse(flags: RerunFlags, others: Partial<Record<keyof RerunFlags, string>>, kind: string): void {
  const given = Object.entries(others).flatMap(([flag, name]) => (flags[flag as keyof RerunFlags] === undefined ? [] : [name]));
  if (given.length) throw new UsageError(`${given.join(', ')} ${given.length === 1 ? 'goes' : 'go'} with ${kind}.`);
}

/** `--from-index`: a 0-based position. */
function parseIndex(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--from-index takes a 0-based position (0, 1, 2…), not "${value}".`);
  return n;
}
