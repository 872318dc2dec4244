// `chainport webhooks failed|redeliver|verify|listen`
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import pc from 'picocolors';
import { verifyWebhook, type Delivery, type HeadersLike } from '../../client/index.js';
import { generateSecret } from '../../webhooks/sign.js';
import { ENV, UsageError, createClient, note, parsePositiveInt, printJson, type GlobalOptions } from '../context.js';
import { listen } from '../listen.js';
import { ensureError } from '../../errors.js';

export function registerWebhooks(program: Command): void {
  const webhooks = program.command('webhooks').description('failed deliveries, redelivery, checking a delivery signature, and a local receiver');

  webhooks
    .command('failed')
    .description('your deliveries whose every attempt failed, newest first (one page)')
    .option('--limit <n>', 'page size', parsePositiveInt('--limit'))
    .option('--cursor <cursor>', 'the next_cursor of the previous page')
    .action(async (flags: { limit?: number; cursor?: string }, command: Command) => {
      const page = await createClient().failedDeliveries(flags);
      if (command.optsWithGlobals<GlobalOptions>().json) return page.data.forEach(printJson);
      if (page.data.length === 0) process.stdout.write('No failed deliveries.\n');
      for (const delivery of page.data) process.stdout.write(`${deliveryLine(delivery)}\n`);
      if (page.next_cursor) process.stderr.write(pc.dim(`more: chainport webhooks failed --cursor ${page.next_cursor}\n`));
    });

  webhooks
    .command('redeliver')
    .description("send a delivery again (without a delivery id: the run's newest)")
    .argument('<run_id>')
    .argument('[delivery_id]')
    .action(async (runId: string, deliveryId: string | undefined, _flags: unknown, command: Command) => {
      const delivery = await createClient().redeliver(runId, deliveryId);
      if (command.optsWithGlobals<GlobalOptions>().json) printJson(delivery);
      else process.stdout.write(`Redelivering ${delivery.delivery_id} to ${delivery.url}.\n`);
    });

  webhooks
    .command('verify')
    .description("check a received delivery's signature and print its payload (exit 1 if it does not verify)")
    .option('--secret <secret>', 'the webhook secret, whsec_… (default: CHAINPORT_WEBHOOK_SECRET)')
    .requiredOption('--headers-file <file>', 'the request headers as a JSON object')
    .requiredOption('--body-file <file>', 'the request body, exactly as received')
    .option('--tolerance <seconds>', 'how far webhook-timestamp may be from now (default 300)', parsePositiveInt('--tolerance'))
    .action(async (flags: { secret?: string; headersFile: string; bodyFile: string; tolerance?: number }, command: Command) => {
      const secret = flags.secret ?? process.env[ENV.webhookSecret];
      if (!secret) throw new UsageError(`Give --secret (or set ${ENV.webhookSecret}).`);
      const headers = readJsonObject(flags.headersFile, '--headers-file') as HeadersLike;
      const body = readFile(flags.bodyFile, '--body-file');
      const payload = await verifyWebhook(secret, headers, body, { toleranceS: flags.tolerance });
      if (command.optsWithGlobals<GlobalOptions>().json) printJson(payload);
      else process.stdout.write(`${pc.green('✔ verified')} ${payload.event} ${payload.run_id} (delivery ${payload.delivery_id}, attempt ${payload.attempt})\n`);
    });

  webhooks
    .command('listen')
    .description('receive deliveries on this machine: verify and print each one, optionally forward it to your endpoint (Ctrl-C stops)')
    .option('--port <port>', 'port to listen on (0: any free port)', parsePort, 4000)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--secret <secret>', `the signing secret to verify with (default: ${ENV.webhookSecret}, else a new one, printed)`)
    .option('--forward-to <url>', 'also POST each verified delivery, same body and signature headers, to this URL, and answer with its status')
    .option('--tolerance <seconds>', 'how far webhook-timestamp may be from now (default 300)', parsePositiveInt('--tolerance'))
    .action(async (flags: { port: number; host: string; secret?: string; forwardTo?: string; tolerance?: number }, command: Command) => {
      const { json = false } = command.optsWithGlobals<GlobalOptions>();
      if (flags.forwardTo !== undefined && !URL.canParse(flags.forwardTo)) throw new UsageError(`--forward-to "${flags.forwardTo}" is not a URL.`);
      const secret = flags.secret ?? (process.env[ENV.webhookSecret] || generateSecret());
      const { server, url } = await listen({ host: flags.host, port: flags.port, secret, forwardTo: flags.forwardTo, toleranceS: flags.tolerance, json });
      if (json) printJson({ listening: url, secret, forward_to: flags.forwardTo ?? null });
      else {
        process.stdout.write(`Listening on ${pc.bold(url)}${flags.forwardTo ? `, forwarding to ${flags.forwardTo}` : ''}\nSigning secret ${pc.bold(secret)}\n`);
        note(pc.dim(`Send a run's deliveries here: chainport run <chain> --async --webhook ${url} --webhook-secret ${secret}`));
      }
      // Ctrl-C is how a listener ends: close and exit 0.
      await new Promise<void>((resolve) => process.once('SIGINT', () => server.close(() => resolve())));
    });
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port takes 0–65535, not "${value}".`);
  return port;
}

function deliveryLine(d: Delivery): string {
  const last = d.attempts.at(-1);
  const why = last ? (last.error ?? `HTTP ${last.status_code}`) : 'no attempt';
  return `${d.delivery_id}  ${d.event.padEnd(16)} ${d.url}  ${d.attempts.length} attempts, last: ${why}`;
}

function readFile(file: string, option: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new UsageError(`${option} ${file}: ${ensureError(err).message}`);
  }
}

function readJsonObject(file: string, option: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(readFile(file, option)));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch (err) {
    if (err instanceof UsageError) throw err;
  }
  throw new UsageError(`${option} ${file} must hold a JSON object of header names to values.`);
}
