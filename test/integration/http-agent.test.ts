import assert from 'node:assert/strict';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { finalState, start } from '../helpers/runs.js';
import { startTestTemporal, type TestTemporal } from '../helpers/temporal.js';

interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

interface Receiver {
  url: string;
  received: Received[];
  /** Bytes written to endless answers, and whether each such answer's connection was closed. */
  endless: Array<{ sent: number; closed: boolean }>;
  close(): Promise<void>;
}

/**
 * A real HTTP endpoint for the `http-lookup` fixture: `POST /lookup/<id>` answers by id, counting the
 * calls per id so a scenario can fail first and succeed later.
 */
async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const endless: Receiver['endless'] = [];
  /** Writes 64 KiB chunks for as long as the client keeps reading, with no content-length. */
  const sendEndlessly = (res: http.ServerResponse) => {
    const record = { sent: 0, closed: false };
    endless.push(record);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.once('close', () => (record.closed = true));
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const more = () => {
      while (!record.closed && res.write(chunk)) record.sent += chunk.length;
      if (!record.closed) res.once('drain', more);
    };
    more();
  };
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      const text = Buffer.concat(parts).toString('utf8');
      const path = req.url ?? '/';
      received.push({ method: req.method ?? '', path, headers: req.headers, body: text ? (JSON.parse(text) as unknown) : undefined });
      const calls = received.filter((r) => r.path === path).length;
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(value));
      };
      switch (path) {
        case '/lookup/ada':
          return json(200, { name: 'Ada', score: 7, known_for: ['engines', 'notes'] });
        case '/lookup/flaky':
          return calls === 1 ? json(503, { error: 'warming up' }) : json(200, { name: 'Flaky', score: 1 });
        case '/lookup/text':
          res.writeHead(200, { 'content-type': 'text/plain' });
          return res.end('plain words');
        case '/lookup/endless':
          return sendEndlessly(res);
        default:
          return json(404, { error: `no record at ${path}` });
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    endless,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The receiver listens on 127.0.0.1, which http agents may reach only when an operator allows it. */
const ALLOW_LOCAL = { CHAINPORT_HTTP_AGENT_ALLOW_HOSTS: '127.0.0.1' };
const UNSET_VARIABLE = 'CHAINPORT_AGENT_TEST_NEVER_SET_URL';

describe('http agent against a real endpoint', () => {
  let temporal: TestTemporal | undefined;
  let receiver: Receiver | undefined;
  let engine: TestEngine | undefined;
  const savedUrl = process.env.CHAINPORT_AGENT_TEST_HTTP_URL;

  const callsTo = (path: string) => receiver!.received.filter((r) => r.path === path);

  before(async () => {
    try {
      temporal = await startTestTemporal();
      receiver = await startReceiver();
      // The http agent reads ${CHAINPORT_AGENT_TEST_HTTP_URL} from the worker's environment at call time.
      process.env.CHAINPORT_AGENT_TEST_HTTP_URL = receiver.url;
      delete process.env[UNSET_VARIABLE];
      engine = await startEngine(temporal.address, ALLOW_LOCAL);
      await engine.startWorker();
    } catch (err) {
      await engine?.stop();
      await receiver?.close();
      await temporal?.stop();
      throw err;
    }
  });
  after(async () => {
    await engine?.stop();
    await receiver?.close();
    await temporal?.stop();
    if (savedUrl === undefined) delete process.env.CHAINPORT_AGENT_TEST_HTTP_URL;
    else process.env.CHAINPORT_AGENT_TEST_HTTP_URL = savedUrl;
  });

  it('posts the templated body and makes the JSON response the output the next agent reads', async () => {
    const handle = await start(engine!, 'http-lookup', { id: 'ada', query: 'who wrote the notes' });
    const state = await finalState(engine!.client, handle.workflowId);
    assert.equal(state.status, 'completed', JSON.stringify(state.error));
    assert.deepEqual(state.output, {
      summary: 'Ada scored 7',
      lookup: { name: 'Ada', score: 7, known_for: ['engines', 'notes'] },
    });
    assert.equal(state.agents[0]?.cost, 0.001);
    assert.equal(state.cost, 0.001);

    const [call, ...more] = callsTo('/lookup/ada');
    assert.ok(call);
    assert.equal(more.length, 0);
    assert.equal(call.method, 'POST');
    assert.deepEqual(call.body, { id: 'ada', query: 'who wrote the notes', tags: ['chain', 'ada'] });
    assert.equal(call.headers['content-type'], 'application/json');
    assert.equal(call.headers.accept, 'application/json');
    assert.equal(call.headers['x-chain'], 'http-lookup');
  });

  it('keeps a non-JSON response as text', async () => {
    const handle = await start(engine!, 'http-lookup', { id: 'text' });
    const state = await finalState(engine!.client, handle.workflowId);
    assert.equal(state.status, 'completed', JSON.stringify(state.error));
    assert.deepEqual(state.output, { summary: ' scored ', lookup: 'plain words' });
  });

  it('retries a 503 and succeeds on the 200, reporting attempts: 2', async () => {
    const handle = await start(engine!, 'http-lookup', { id: 'flaky' });
    const state = await finalState(engine!.client, handle.workflowId);
    assert.equal(state.status, 'completed', JSON.stringify(state.error));
    assert.equal((state.output as { summary: string }).summary, 'Flaky scored 1');
    assert.equal(state.agents[0]?.attempts, 2);
    assert.equal(callsTo('/lookup/flaky').length, 2);
  });

  it('fails the run at once on a 404, with code agent_failed and attempts: 1', async () => {
    const handle = await start(engine!, 'http-lookup', { id: 'nobody' });
    const state = await finalState(engine!.client, handle.workflowId);
    assert.equal(state.status, 'failed');
    assert.equal(state.error?.code, 'agent_failed');
    assert.equal(state.error?.agent, 'lookup');
    assert.match(state.error?.message ?? '', /answered 404: \{"error":"no record at \/lookup\/nobody"\}/);
    assert.equal(state.agents[0]?.attempts, 1);
    assert.deepEqual(state.agents.map((a) => a.status), ['failed', 'skipped']);
    assert.equal(callsTo('/lookup/nobody').length, 1, 'a 404 is not sent again');
  });

  it('sends a caller’s ${NAME} as text: input never reaches environment expansion', async () => {
    const handle = await start(engine!, 'http-lookup', { id: '${CHAINPORT_AGENT_TEST_HTTP_URL}' });
    const state = await finalState(engine!.client, handle.workflowId);
    assert.equal(state.status, 'failed');
    assert.equal(callsTo('/lookup/$%7BCHAINPORT_AGENT_TEST_HTTP_URL%7D').length, 1, 'the placeholder arrived unexpanded');
    assert.ok(!JSON.stringify(state).includes(receiver!.url), 'the variable’s value appears nowhere in the run');
  });

  it('stops reading an endless answer at the 5 MiB cap and fails at once, closing the connection', async () => {
    const began = Date.now();
    const handle = await start(engine!, 'http-lookup', { id: 'endless' });
    const state = await finalState(engine!.client, handle.workflowId);
    assert.equal(state.status, 'failed');
    assert.match(state.error?.message ?? '', /Response exceeds the 5242880-byte cap/);
    assert.equal(state.agents[0]?.attempts, 1, 'a too-large answer is not asked for again');
    assert.ok(Date.now() - began < 4_000, 'failed before the agent’s 5 s timeout: the cap cut the read');
    const [answer] = receiver!.endless;
    assert.ok(answer?.closed, 'the agent closed the connection');
    assert.ok(answer.sent < 16 * 1024 * 1024, `the server stopped after ${answer.sent} bytes`);
  });

  it('refuses a loopback host unless CHAINPORT_HTTP_AGENT_ALLOW_HOSTS names it, without naming the address', async () => {
    const strict = await startEngine(temporal!.address);
    try {
      await strict.startWorker();
      const sentBefore = receiver!.received.length;
      const handle = await start(strict, 'http-lookup', { id: 'ada' });
      const state = await finalState(strict.client, handle.workflowId);
      assert.equal(state.status, 'failed');
      assert.match(state.error?.message ?? '', /HTTP POST \$\{CHAINPORT_AGENT_TEST_HTTP_URL\}\/lookup\/ada was refused: the host is not public; an operator can allow it with CHAINPORT_HTTP_AGENT_ALLOW_HOSTS/);
      assert.doesNotMatch(state.error?.message ?? '', /127\.0\.0\.1/);
      assert.equal(state.agents[0]?.attempts, 1, 'a refusal is not retried');
      assert.equal(receiver!.received.length, sentBefore, 'nothing was sent');
    } finally {
      await strict.stop();
    }
  });

  it('fails non-retryably, naming the variable, when the URL refers to an unset environment variable', async () => {
    const sentBefore = receiver!.received.length;
    const handle = await start(engine!, 'http-unset-env', { id: 'x' });
    const state = await finalState(engine!.client, handle.workflowId);
    assert.equal(state.status, 'failed');
    assert.equal(state.error?.code, 'agent_failed');
    assert.equal(state.error?.agent, 'misconfigured');
    assert.match(state.error?.message ?? '', /url references \$\{CHAINPORT_AGENT_TEST_NEVER_SET_URL\}, which is not set in the worker's environment/);
    assert.equal(state.agents[0]?.attempts, 1, 'no retry can fix configuration');
    assert.equal(receiver!.received.length, sentBefore, 'nothing was sent');
  });
});
