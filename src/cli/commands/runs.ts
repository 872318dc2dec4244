// `chainport runs list|get|cancel|events`
import type { Command } from 'commander';
import pc from 'picocolors';
import type { ListFilter, Run, RunSummary } from '../../client/index.js';
import { EXIT, createClient, formatCost, formatDuration, note, parseJson, parsePositiveInt, printJson, type GlobalOptions } from '../context.js';
import { follow, formatOutput } from '../follow.js';
import { terminalSafe } from '../terminal-text.js';

const STATUS_COLOUR = { running: pc.cyan, waiting_for_input: pc.magenta, completed: pc.green, failed: pc.red, cancelled: pc.yellow, timed_out: pc.red } as const;

export function registerRuns(program: Command): void {
  const runs = program.command('runs').description('list, inspect, cancel and follow your runs');

  runs
    .command('list')
    .description('your runs, newest first (one page; --cursor for the next)')
    .option('--chain <name>', 'only runs of this chain')
    .option('--status <status>', 'running, completed, failed, cancelled or timed_out')
    .option('--limit <n>', 'page size, 1-100', parsePositiveInt('--limit'))
    .option('--cursor <cursor>', 'the next_cursor of the previous page')
    .option('--rerun-of <run_id>', 'only the reruns of this run')
    .action(async (flags: { chain?: string; status?: ListFilter['status']; limit?: number; cursor?: string; rerunOf?: string }, command: Command) => {
      const { json } = command.optsWithGlobals<GlobalOptions>();
      const { rerunOf, ...filter } = flags;
      const pages = createClient().list({ ...filter, rerun_of: rerunOf });
      const { value: page } = await pages.next();
      await pages.return();
      if (!page) return;
      if (json) page.data.forEach(printJson);
      else for (const run of page.data) process.stdout.write(`${summaryLine(run)}\n`);
      if (!json && page.next_cursor) process.stderr.write(pc.dim(`more: chainport runs list --cursor ${page.next_cursor}\n`));
    });

  runs
    .command('get')
    .description('a run now: progress while running, output or error once ended')
    .argument('<run_id>')
    .action(async (runId: string, _flags: unknown, command: Command) => {
      const run = await createClient().get(runId);
      if (command.optsWithGlobals<GlobalOptions>().json) printJson(run);
      else printRun(run);
    });

  runs
    .command('cancel')
    .description('cancel a running run')
    .argument('<run_id>')
    .action(async (runId: string, _flags: unknown, command: Command) => {
      const run = await createClient().cancel(runId);
      if (command.optsWithGlobals<GlobalOptions>().json) printJson(run);
      else process.stdout.write(`Cancelling ${run.run_id}.\n`);
    });

  runs
    .command('input')
    .description('answer the input step a run waits at')
    .argument('<run_id>')
    .requiredOption('--step <name>', 'the input step (input_request.step)')
    .requiredOption('--value <json>', "the answer, as JSON matching the step's schema", parseJson('--value'))
    .action(async (runId: string, flags: { step: string; value: unknown }, command: Command) => {
      const run = await createClient().input(runId, flags.step, flags.value);
      if (command.optsWithGlobals<GlobalOptions>().json) printJson(run);
      else process.stdout.write(`Answered "${flags.step}"; ${run.run_id} is ${run.status}.\n`);
    });

  runs
    .command('events')
    .description("attach to a run's events (live view on a terminal, JSON lines otherwise)")
    .argument('<run_id>')
    .option('--last-event-id <id>', 'continue right after this event')
    .action(async (runId: string, flags: { lastEventId?: string }, command: Command) => {
      const client = createClient();
      const { json = false } = command.optsWithGlobals<GlobalOptions>();
      process.exitCode = await follow(client, (signal) => client.stream({ runId, lastEventId: flags.lastEventId }, { signal }), { json });
    });
}

/**
 * A run the command waited for (`run`, `rerun`): the run (a JSON line with --json), what to do next
 * when it has not ended, and the exit code its status means.
 */
export function showWaitedRun(run: Run, json: boolean): number {
  if (json) printJson(run);
  else printRun(run);
  if (run.status === 'running') note(`Still running. Follow it with: chainport runs events ${run.run_id}`);
  if (run.input_request) {
    note(`Waiting for input at "${run.input_request.step}". Answer with: chainport runs input ${run.run_id} --step ${run.input_request.step} --value '<JSON>'`);
  }
  return run.status === 'completed' ? EXIT.ok : run.status === 'waiting_for_input' ? EXIT.waitingForInput : EXIT.runNotCompleted;
}

/** A run for a person: its status line (and what it re-runs), each agent, then its output or error. */
export function printRun(run: Run): void {
  const lines = [summaryLine(run)];
  if (run.rerun_of) lines.push(pc.dim(`  rerun of ${run.rerun_of.run_id} from ${run.rerun_of.from}; reused agents cost ${formatCost(run.reused_cost ?? 0)} there`));
  for (const agent of run.agents) {
    const reused = agent.reused_cost === undefined ? '' : pc.dim(` (${formatCost(agent.reused_cost)} in the original run)`);
    lines.push(`  ${agent.name.padEnd(16)} ${agent.status.padEnd(10)} attempts ${agent.attempts}  ${agent.duration_ms === null ? '-' : formatDuration(agent.duration_ms)}  ${formatCost(agent.cost)}${reused}`);
  }
  if (run.output !== undefined) lines.push('', formatOutput(run.output));
  if (run.error) lines.push('', pc.red(`${run.error.code}${run.error.agent ? ` at agent ${run.error.agent}` : ''}: ${terminalSafe(run.error.detail)}`));
  process.stdout.write(`${lines.join('\n')}\n`);
}

function summaryLine(run: RunSummary): string {
  const status = STATUS_COLOUR[run.status](run.status.padEnd(10));
  return `${run.run_id}  ${`${run.chain}@${run.chain_version}`.padEnd(24)} ${status} ${formatDuration(run.duration_ms).padStart(9)}  ${formatCost(run.cost)}  ${pc.dim(run.created_at)}`;
}
