// `chainport webhooks listen`: a webhook receiver for development, in the spirit of `stripe listen`.
// It verifies every delivery with its signing secret, prints it, and can forward it — the same bytes
// and signature headers — to your own endpoint, answering Chainport with that endpoint's status so
// retries and redelivery behave as they would against the endpoint itself.
import http from 'node:http';
import pc from 'picocolors';
import { HEADER } from '../api/wire.js';
import { verifyWebhook, WEBHOOK_HEADER, WebhookVerificationError, type WebhookPayload } from '../client/index.js';
import { UsageError, printJson } from './context.js';

export interface ListenOptions {
  host: string;
  port: number;
  secret: string;
  forwardTo?: string;
  toleranceS?: number;
  json: boolean;
}

/** One delivery as `listen` saw it: the `--json` line. */
export interface ReceivedDelivery {
  at: string;
  webhook_id: string | null;
  verified: boolean;
  /** Why it did not verify: a WebhookVerificationError reason, or too_large. */
  rejected?: string;
  payload?: WebhookPayload;
  forwarded?: { url: string; status: number } | { url: string; error: string };
  /** What listen answered Chainport. */
  status: number;
}

const MAX_BODY = 1024 * 1024;
const FORWARD_TIMEOUT_MS = 10_000;
/** The request headers a forward carries: the body's type and everything the signature involves. */
const FORWARDED: ReadonlySet<string> = new Set(['content-type', 'user-agent', ...Object.values(WEBHOOK_HEADER)]);

/** Starts listening; resolves with the server (and its URL) once it accepts connections. */
export async function listen(options: ListenOptions): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer((req, res) => {
    receive(req, options).then(
      ({ status, headers, delivery }) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify({ received: delivery.verified, ...(delivery.rejected && { error: delivery.rejected }) }));
        if (req.method === 'POST') show(delivery, options.json);
      },
      (err: unknown) => {
        res.writeHead(500).end();
        process.stderr.write(`${pc.red('listen:')} ${err instanceof Error ? err.message : String(err)}\n`);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new UsageError(`Port ${options.port} on ${options.host} is in use: give another with --port (0 picks a free one).`) : err),
    );
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address() as { port: number };
  return { server, url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${address.port}/` };
}

async function receive(req: http.IncomingMessage, options: ListenOptions): Promise<{ status: number; headers?: Record<string, string>; delivery: ReceivedDelivery }> {
  const delivery: ReceivedDelivery = { at: new Date().toISOString(), webhook_id: header(req, WEBHOOK_HEADER.id), verified: false, status: 200 };
  const answer = (status: number, headers?: Record<string, string>) => ({ status, headers, delivery: Object.assign(delivery, { status }) });
  if (req.method !== 'POST') return answer(405, { allow: 'POST' });
  const body = await readBody(req);
  if (body === undefined) {
    delivery.rejected = 'too_large';
    return answer(413);
  }
  try {
    delivery.payload = await verifyWebhook(options.secret, req.headers, body, { toleranceS: options.toleranceS });
    delivery.verified = true;
  } catch (err) {
    if (!(err instanceof WebhookVerificationError)) throw err;
    delivery.rejected = err.reason;
    return answer(400);
  }
  if (!options.forwardTo) return answer(200);
  try {
    const headers = Object.fromEntries(Object.entries(req.headers).filter((entry): entry is [string, string] => FORWARDED.has(entry[0]) && typeof entry[1] === 'string'));
    const res = await fetch(options.forwardTo, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS) });
    await res.body?.cancel();
    delivery.forwarded = { url: options.forwardTo, status: res.status };
    const retryAfter = res.headers.get(HEADER.retryAfter);
    return answer(res.status, retryAfter ? { [HEADER.retryAfter]: retryAfter } : undefined);
  } catch (err) {
    // Chainport sees the endpoint down as a failed attempt and retries it, as it would the endpoint.
    delivery.forwarded = { url: options.forwardTo, error: err instanceof Error ? err.message : String(err) };
    return answer(502);
  }
}

/** The body's exact bytes (what the signature covers), or undefined past MAX_BODY. */
async function readBody(req: http.IncomingMessage): Promise<Uint8Array | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function header(req: http.IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return typeof value === 'string' ? value : null;
}

function show(delivery: ReceivedDelivery, json: boolean): void {
  if (json) return printJson(delivery);
  const time = pc.dim(delivery.at.slice(11, 19));
  if (!delivery.verified) {
    process.stdout.write(`${time}  ${pc.red('✖ rejected')} ${delivery.webhook_id ?? '(no webhook-id)'}: ${delivery.rejected}, answered ${delivery.status}\n`);
    return;
  }
  const p = delivery.payload!;
  const forward = delivery.forwarded
    ? 'status' in delivery.forwarded
      ? `  → ${delivery.forwarded.status} ${delivery.forwarded.url}`
      : `  → ${pc.red(delivery.forwarded.error)} ${delivery.forwarded.url}`
    : '';
  process.stdout.write(`${time}  ${pc.green('✔')} ${p.event.padEnd(16)} ${p.run_id}  attempt ${p.attempt}  ${pc.dim(p.delivery_id)}${forward}\n`);
}
