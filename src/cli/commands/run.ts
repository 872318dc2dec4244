// `chainport run <chain[@version]> --input ... [--async | --stream | --wait <s>] [--webhook <url> ...]`
import type { Command } from 'commander';
import { ChainportError, type Run, type WebhookOptions } from '../../client/index.js';
import { ENV, UsageError, createClient, note, parseInput, parsePositiveInt, printJson, type GlobalOptions } from '../context.js';
import { RUN_NOT_COMPLETED } from '../failures.js';
import { follow } from '../follow.js';
import { showWaitedRun } from './runs.js';

interface RunFlags {
  input?: string;
  async?: boolean;
  stream?: boolean;
  wait?: number;
  maxCost?: number;
  webhook?: string;
  webhookSecret?: string;
  webhookEvents?: string[];
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run a chain: wait for its result (default), start it (--async) or watch it live (--stream)')
    .argument('<chain>', 'chain name, or name@version')
    .option('-i, --input <json|@file>', "the chain's input: a JSON object, or @file.json")
    .option('--async', 'start the run and print its id at once')
    .option('--stream', "show the run's agents and tokens live (JSON lines without a terminal or with --json)")
    .option('--wait <seconds>', 'wait at most this long for the result; the run goes on after (default 3600)', parsePositiveInt('--wait'))
    .option('--max-cost <usd>', 'stop the run once it has cost more than this', parseFloat)
    .option('--webhook <url>', 'with --async or --stream: POST the run\'s end (and --webhook-events) to this URL, signed')
    .option('--webhook-secret <secret>', `the signing secret (default: ${ENV.webhookSecret}; with --async and neither, the server makes one and it is printed once)`)
    .option('--webhook-events <list>', 'comma-separated: completed, failed, timed_out, cancelled, agent.completed (default: the first four)', (value: string) => value.split(','))
    .action(async (chain: string, flags: RunFlags, command: Command) => {
      const { json = false } = command.optsWithGlobals<GlobalOptions>();
      if ([flags.async, flags.stream, flags.wait !== undefined].filter(Boolean).length > 1) throw new UsageError('Give at most one of --async, --stream and --wait.');
      const input = parseInput(flags.input);
      const webhook = webhookOptions(flags);
      const client = createClient();
      if (flags.async) {
        const accepted = await client.start(chain, input, { maxCost: flags.maxCost, webhook });
        if (json) printJson(accepted);
        else {
          process.stdout.write(`${accepted.run_id}\n`);
          if (accepted.webhook?.secret) note(`Webhook signing secret (shown once): ${accepted.webhook.secret}`);
          note(`Started. Follow it with: chainport runs events ${accepted.run_id}   (or: chainport runs get ${accepted.run_id})`);
        }
        return;
      }
      if (flags.stream) {
        process.exitCode = await follow(client, (signal) => client.stream(chain, input, { signal, maxCost: flags.maxCost, webhook }), { json });
        return;
      }
      let run: Run;
      try {
        run = await client.run(chain, input, { maxWaitS: flags.wait, timeoutS: Math.min(flags.wait ?? 30, 30), maxCost: flags.maxCost });
      } catch (err) {
        if (!(err instanceof ChainportError) || !RUN_NOT_COMPLETED.has(err.code) || err.runId === undefined) throw err;
        run = await client.get(err.runId);
      }
      process.exitCode = showWaitedRun(run, json);
    });
}

/** The webhook flags as the API's webhook object; the API checks the URL and the events. */
function webhookOptions(flags: RunFlags): WebhookOptions | undefined {
  if (flags.webhook === undefined) {
    if (flags.webhookSecret !== undefined || flags.webhookEvents !== undefined) throw new UsageError('--webhook-secret and --webhook-events go with --webhook <url>.');
    return undefined;
  }
  if (!flags.async && !flags.stream) throw new UsageError('--webhook goes with --async or --stream (a sync run answers the result itself).');
  const secret = flags.webhookSecret ?? (process.env[ENV.webhookSecret] || undefined);
  // The stream route has no response body to show a generated secret in.
  if (flags.stream && secret === undefined) throw new UsageError(`--stream with --webhook needs --webhook-secret (or ${ENV.webhookSecret}).`);
  return { url: flags.webhook, ...(secret !== undefined && { secret }), ...(flags.webhookEvents && { events: flags.webhookEvents as WebhookOptions['events'] }) };
}
