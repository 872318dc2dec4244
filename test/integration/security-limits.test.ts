import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { Webhook } from 'standardwebhooks';
import { sha256 } from '../../src/api/callers.js';
import type { Config } from '../../src/config.js';
import { callerSlotsInUse } from '../../src/metrics.js';
import { idempotentRunId } from '../../src/runs/idempotency.js';
import { CALLERS, startTestApi, type TestApi } from '../helpers/api.js';
import { ended, expectProblem, json, pollRun, startAsync, type RunAccepted } from '../helpers/api-suite.js';
import { Started } from '../helpers/started.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { eventually } from '../helpers/runs.js';
import { openStream, StreamRefusedError } from '../helpers/sse-client.js';
import { startTestTemporal, type TestTemporal } from '../helpers/temporal.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';

// Issue #11: what one client or caller can hold (sockets, waits, streams, resolver queries, key
// guesses) is bounded, and the bounds are answered as problems, through the real API and Temporal.

const LIMITS_ENV = {
  CHAINPORT_WEBHOOK_ALLOW_PRIVATE: 'true',
  CHAINPORT_MAX_WAITS_PER_CALLER: '2',
  CHAINPORT_MAX_STREAMS_PER_CALLER: '2',
  CHAINPORT_HEADERS_TIMEOUT: '1s',
  CHAINPORT_BODY_TIMEOUT: '500ms',
  CHAINPORT_REQUEST_TIMEOUT: '1s',
};

const slotsInUse = async (kind: string) => (await callerSlotsInUse.get()).values.find((v) => v.labels.kind === kind)?.value ?? 0;

/** A raw HTTP/1.1 exchange: what the server wrote, and when it closed the connection. */
function rawExchange(url: string, request: string): { socket: net.Socket; closed: Promise<{ text: string; afterMs: number }> } {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  const opened = Date.now();
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk));
  socket.on('error', () => undefined);
  socket.write(request);
  return { socket, closed: new Promise((resolve) => socket.once('close', () => resolve({ text, afterMs: Date.now() - opened }))) };
}

/** `promise`, or a rejection naming `what` once `ms` have passed. */
function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  const late = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms).unref());
  return Promise.race([promise, late]);
}

void describe('Security limits', () => {
  const started = new Started();
  let temporal: TestTemporal;
  let engine: TestEngine;
  let api: TestApi;
  /** Another API in front of the same engine, with its configuration changed. */
  const apiWith = async (label: string, change: (config: Config) => Config, options: Parameters<typeof startTestApi>[1] = {}) =>
    started.add(label, await startTestApi({ ...engine, config: change(engine.config) }, options), (a) => a.close(1_000));

  before(() =>
    started.setup(async () => {
      temporal = started.add('temporal', await startTestTemporal(), (t) => t.stop());
      engine = started.add('engine', await startEngine(temporal.address, LIMITS_ENV), (e) => e.stop());
      await engine.startWorker();
      api = started.add('api', await startTestApi(engine), (a) => a.close(1_000));
    }),
  );
  after(() => started.stopAll());

  void describe('Idempotency-Key with a generated webhook secret', () => {
    void it('shows every request of one key the secret the run signs with, however they race', async () => {
      const hook = started.add('receiver', await startWebhookReceiver(), (r) => r.close());
      const key = randomUUID();
      const send = () => api.request('/api/v1/chains/chain-3/runs', { body: { input: { topic: 'x' }, webhook: { url: hook.url } }, headers: { 'idempotency-key': key } });
      const [a, b] = await Promise.all([send(), send()]).then((both) => Promise.all(both.map((r) => json<RunAccepted>(r, 202))));
      const repeat = await json<RunAccepted>(await send(), 202);
      assert.equal(a!.run_id, b!.run_id);
      assert.equal(repeat.run_id, a!.run_id);
      const secret = a!.webhook?.secret;
      assert.ok(secret, 'a generated secret is shown');
      assert.equal(b!.webhook?.secret, secret, 'the racing request shows the same secret');
      assert.equal(repeat.webhook?.secret, secret, 'a later repeat shows it again');
      const [delivery] = await hook.waitFor(1);
      const { headers, body } = delivery!;
      const verified = new Webhook(secret).verify(body, {
        'webhook-id': headers['webhook-id'] as string,
        'webhook-timestamp': headers['webhook-timestamp'] as string,
        'webhook-signature': headers['webhook-signature'] as string,
      }) as { run_id: string };
      assert.equal(verified.run_id, a!.run_id, 'the delivery verifies with the secret shown');
    });
  });

  void describe('sync waits', () => {
    void it('answers 429 rate_limited with RateLimit headers past CHAINPORT_MAX_WAITS_PER_CALLER waiting requests, leaving other callers unaffected', async () => {
      const leave = new AbortController();
      const waiting = [1, 2].map(() => api.request('/api/v1/chains/slow', { body: { input: {}, timeout_s: 60 }, signal: leave.signal }).catch(() => undefined));
      try {
        await eventually(async () => ((await slotsInUse('waits')) === 2 ? true : undefined), 10_000, 'two sync waits');
        const refused = await api.request('/api/v1/chains/slow', { body: { input: {}, timeout_s: 60 } });
        assert.equal(refused.headers.get('retry-after'), '1');
        assert.match(refused.headers.get('ratelimit-policy') ?? '', /^"waits";q=2;/);
        assert.match(refused.headers.get('ratelimit') ?? '', /^"waits";r=0;/);
        await expectProblem(refused, 429, 'rate_limited');
        await expectProblem(await api.request('/api/v1/chains/slow', { key: CALLERS.bob, body: { input: {}, timeout_s: 1 } }), 504, 'wait_timeout');
      } finally {
        leave.abort();
        await Promise.all(waiting);
      }
      await eventually(async () => ((await slotsInUse('waits')) === 0 ? true : undefined), 5_000, 'the waits to end');
    });

    void it('stops waiting as soon as the caller hangs up, while the run goes on', async () => {
      const key = randomUUID();
      const body = JSON.stringify({ input: {}, timeout_s: 60 });
      const { socket, closed } = rawExchange(
        api.url,
        `POST /api/v1/chains/slow HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${CALLERS.alice}\r\nIdempotency-Key: ${key}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      await eventually(async () => ((await slotsInUse('waits')) === 1 ? true : undefined), 10_000, 'the sync wait');
      socket.destroy();
      await closed;
      const hungUpAt = Date.now();
      await eventually(async () => ((await slotsInUse('waits')) === 0 ? true : undefined), 3_000, 'the wait to end');
      assert.ok(Date.now() - hungUpAt < 1_000, `the wait ended ${Date.now() - hungUpAt} ms after the hang-up`);
      const run = await pollRun(api, idempotentRunId('alice', key), ended, 30_000);
      assert.equal(run.status, 'completed', 'the run went on');
    });
  });

  void describe('streams', () => {
    void it('answers 429 rate_limited past CHAINPORT_MAX_STREAMS_PER_CALLER open streams, and a slot frees when a stream ends', async () => {
      const run = await startAsync(api, 'slow', { input: {} });
      const eventsUrl = `${api.url}/api/v1/runs/${run.run_id}/events`;
      const auth = { authorization: `Bearer ${CALLERS.alice}` };
      const open = await Promise.all([1, 2].map(() => openStream(eventsUrl, { headers: auth })));
      try {
        const refused = await api.request(`/api/v1/runs/${run.run_id}/events`);
        assert.match(refused.headers.get('ratelimit-policy') ?? '', /^"streams";q=2;/);
        await expectProblem(refused, 429, 'rate_limited');
        open[0]!.abort();
        await open[0]!.done;
        const again = await eventually(async () => openStream(eventsUrl, { headers: auth }).catch((err: unknown) => {
          if (err instanceof StreamRefusedError && err.status === 429) return undefined;
          throw err;
        }), 5_000, 'a freed stream slot');
        again.abort();
      } finally {
        open.forEach((s) => s.abort());
      }
    });
  });

  void describe('slow requests', () => {
    const announced = (auth: string) =>
      `POST /api/v1/chains/chain-3/runs HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"inp`;

    void it('answers 408 request_timeout problem+json and closes the connection when an announced body never arrives', async () => {
      const { closed } = rawExchange(api.url, announced(`Authorization: Bearer ${CALLERS.alice}\r\n`));
      const { text, afterMs } = await within(5_000, closed, 'closing a slow-body connection');
      assert.match(text, /^HTTP\/1\.1 408 /);
      assert.match(text, /content-type: application\/problem\+json/i);
      assert.match(text, /"code":"request_timeout"/);
      assert.ok(afterMs >= 450 && afterMs < 2_500, `closed after ${afterMs} ms (body timeout 500 ms)`);
    });

    void it('closes an unauthenticated connection whose announced body never arrives, within the request timeout', async () => {
      const { closed } = rawExchange(api.url, announced(''));
      const { text, afterMs } = await within(5_000, closed, 'closing an unauthenticated slow-body connection');
      assert.match(text, /^HTTP\/1\.1 401 /);
      assert.ok(afterMs < 3_000, `closed after ${afterMs} ms (request timeout 1 s)`);
    });

    void it('closes a connection whose headers never end, within the headers timeout', async () => {
      const { closed } = rawExchange(api.url, 'GET /api/v1/chains HTTP/1.1\r\nHost: x\r\n');
      const { afterMs } = await within(5_000, closed, 'closing a slow-headers connection');
      assert.ok(afterMs < 3_000, `closed after ${afterMs} ms (headers timeout 1 s)`);
    });

    void it('keeps a stream and a sync wait going far past the request timeout', async () => {
      const stream = await openStream(`${api.url}/api/v1/chains/slow/stream`, { method: 'POST', body: { input: {} }, headers: { authorization: `Bearer ${CALLERS.bob}` } });
      const sync = api.request('/api/v1/chains/slow', { key: CALLERS.bob, body: { input: {}, timeout_s: 60 } });
      const opened = Date.now();
      const last = await stream.waitFor((e) => e.event === 'run.completed', 30_000);
      assert.ok(last.at - opened > 2_000, 'the stream outlived the 1 s request timeout');
      const run = await json<{ status: string }>(await sync, 200);
      assert.equal(run.status, 'completed');
    });
  });

  void describe('webhook host resolution', () => {
    void it('answers 422 validation_failed when the webhook host does not resolve in time, asking only the configured servers', async () => {
      const silent = dgram.createSocket('udp4');
      const queries: Buffer[] = [];
      silent.on('message', (query) => queries.push(query));
      await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
      started.add('silent dns', silent, (s) => new Promise<void>((resolve) => s.close(() => resolve())));
      const strict = await apiWith('strict api', (c) => ({
        ...c,
        webhooks: { ...c.webhooks, allowPrivate: false, dns: { servers: [`127.0.0.1:${silent.address().port}`], timeoutMs: 300 } },
      }));
      const begun = Date.now();
      const res = await strict.request('/api/v1/chains/chain-3/runs', { body: { input: { topic: 'x' }, webhook: { url: 'https://hooks.never-answers.example/x' } } });
      const problem = await expectProblem(res, 422, 'validation_failed');
      assert.ok(Date.now() - begun < 2_000, `answered after ${Date.now() - begun} ms (DNS timeout 300 ms)`);
      assert.equal(problem.errors?.[0]?.path, 'webhook.url');
      assert.match(problem.errors?.[0]?.message ?? '', /did not resolve in time/);
      assert.ok(queries.length > 0, 'the configured DNS server was asked');

      const burst = await Promise.all(
        Array.from({ length: 8 }, (_, i) => strict.request('/api/v1/chains/chain-3/runs', { body: { input: { topic: 'x' }, webhook: { url: `https://h${i}.never-answers.example/x` } } })),
      );
      const statuses = burst.map((r) => r.status).sort();
      assert.ok(statuses.includes(429), `a caller's look-ups beyond 4 at once are refused: ${statuses.join(',')}`);
      assert.ok(statuses.every((s) => s === 422 || s === 429), statuses.join(','));
    });
  });

  void describe('failed authentication', () => {
    void it('answers 429 with Retry-After to an address past its failed-authentication quota, even with a valid key; successes never count', async () => {
      const guarded = await apiWith('guarded api', (c) => ({ ...c, api: { ...c.api, authFailuresPerMin: 3 } }));
      for (let i = 0; i < 5; i++) await json(await guarded.request('/api/v1/chains'), 200);
      for (let i = 0; i < 3; i++) await expectProblem(await guarded.request('/api/v1/chains', { key: `wrong-key-${i}-0123456789` }), 401, 'unauthorized');
      const throttled = await guarded.request('/api/v1/chains', { key: 'wrong-key-4-0123456789' });
      assert.ok(Number(throttled.headers.get('retry-after')) >= 1);
      assert.match(throttled.headers.get('ratelimit-policy') ?? '', /^"failed-auth";q=3;w=60/);
      await expectProblem(throttled, 429, 'rate_limited');
      await expectProblem(await guarded.request('/api/v1/chains'), 429, 'rate_limited');
    });
  });

  void describe('callers file', () => {
    void it('reloads on change: a removed key stops working and a new one works, without a restart; a file that does not load changes nothing', async () => {
      const dir = started.add('callers dir', mkdtempSync(path.join(os.tmpdir(), 'chainport-reload-')), async (d) => rmSync(d, { recursive: true, force: true }));
      const file = path.join(dir, 'callers.yaml');
      const dave = 'dave-key-0123456789abcdef';
      const erin = 'erin-key-0123456789abcdef';
      const write = (...entries: Array<[string, string]>) =>
        writeFileSync(file, `callers:\n${entries.map(([id, key]) => `  - {id: ${id}, key_sha256: ${sha256(key).toString('hex')}}\n`).join('')}`);
      write(['dave', dave]);
      const logged: string[] = [];
      const log = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _enc, done) => (logged.push(chunk.toString()), done()) }));
      const reloading = await apiWith('reloading api', (c) => ({ ...c, api: { ...c.api, apiKeys: `bob:${CALLERS.bob}`, callersFile: file } }), { log });
      await json(await reloading.request('/api/v1/chains', { key: dave }), 200);

      write(['erin', erin]);
      await eventually(async () => ((await reloading.request('/api/v1/chains', { key: dave })).status === 401 ? true : undefined), 5_000, 'dave revoked');
      await json(await reloading.request('/api/v1/chains', { key: erin }), 200);
      await json(await reloading.request('/api/v1/chains', { key: CALLERS.bob }), 200);

      writeFileSync(file, 'callers: [ {id: broken');
      await eventually(async () => (logged.some((l) => l.includes('callers not reloaded')) ? true : undefined), 5_000, 'the reload error logged');
      await json(await reloading.request('/api/v1/chains', { key: erin }), 200);
    });
  });
});
