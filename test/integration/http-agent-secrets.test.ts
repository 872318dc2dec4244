import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { installTemporalRuntime } from '../../src/temporal/runtime.js';
import { historyToJSON } from '../helpers/history-json.js';
import { CALLERS } from '../helpers/api.js';
import { eventually } from '../helpers/runs.js';
import { openStream } from '../helpers/sse-client.js';
import { useStack } from '../helpers/stack.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const SECRET = `sekrit-${randomBytes(12).toString('hex')}`;

/** Every log line the worker (through the Temporal runtime) and the API write in this process. */
const logLines: string[] = [];
const captured = pino({ level: 'trace' }, new Writable({ write: (chunk: Buffer, _encoding, done) => void (logLines.push(chunk.toString('utf8')), done()) }));
// Before the stack starts: the runtime is installed once per process, so the worker's SDK logs come here.
installTemporalRuntime(captured);

/** Answers every request with 500 and a body repeating the URL and the authorization header it got. */
async function startEcho(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume().once('end', () => res.writeHead(500, { 'content-type': 'text/plain' }).end(`upstream broke on ${req.url} for ${req.headers.authorization}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

describe('http agent secrets', () => {
  let echo: Awaited<ReturnType<typeof startEcho>>;
  let hooks: WebhookReceiver;
  before(async () => {
    echo = await startEcho();
    hooks = await startWebhookReceiver();
    process.env.CHAINPORT_AGENT_TEST_ECHO_URL = echo.url;
    process.env.CHAINPORT_AGENT_TEST_SECRET = SECRET;
  });
  const stack = useStack({
    env: { CHAINPORT_HTTP_AGENT_ALLOW_HOSTS: '127.0.0.1', CHAINPORT_WEBHOOK_ALLOW_PRIVATE: 'true', LOG_LEVEL: 'trace' },
    api: { log: captured },
  });
  after(async () => {
    await hooks.close();
    await echo.close();
    delete process.env.CHAINPORT_AGENT_TEST_ECHO_URL;
    delete process.env.CHAINPORT_AGENT_TEST_SECRET;
  });

  it('appear nowhere when an agent using them fails: history, logs, run, stream and webhook', async () => {
    const res = await stack.api.request('/api/v1/chains/http-secret/runs', { body: { input: { q: 'x' }, webhook: { url: hooks.url } } });
    assert.equal(res.status, 202, await res.clone().text());
    const { run_id: runId } = (await res.json()) as { run_id: string };
    const stream = await openStream(`${stack.api.url}/api/v1/runs/${runId}/events`, { headers: { authorization: `Bearer ${CALLERS.alice}` } });
    await stream.waitFor((e) => e.event === 'run.failed');
    stream.abort();
    assert.ok(stream.events.some((e) => e.event === 'agent.retrying'), 'the first failure was streamed as a retry');
    const [webhook] = await hooks.waitFor(1);
    const run = await eventually(async () => {
      const answer = await stack.api.request(`/api/v1/runs/${runId}`);
      const body = (await answer.json()) as { status: string };
      return body.status === 'failed' ? body : undefined;
    });
    const history = historyToJSON(await stack.engine.client.workflow.getHandle(runId).fetchHistory());

    const places = { history, logs: logLines.join(''), run: JSON.stringify(run), stream: stream.events.map((e) => e.raw).join('\n'), webhook: webhook!.body };
    // The failure is there to be seen, with the URL as the chain wrote it...
    assert.match(places.run, /HTTP POST \$\{CHAINPORT_AGENT_TEST_ECHO_URL\}\/echo\?key=\$\{CHAINPORT_AGENT_TEST_SECRET\} answered 500: upstream broke on \/echo\?key=\[redacted\] for Bearer \[redacted\]/);
    assert.match(places.logs, /answered 500/, 'the failure was logged');
    // ...and the secret is in none of them.
    for (const [place, text] of Object.entries(places)) assert.ok(!text.includes(SECRET), `the secret leaked into the ${place}`);
  });
});
