import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Client, Connection } from '@temporalio/client';
import { allRoutes } from '../../src/api/app.js';
import { clientConnectionOptions } from '../../src/temporal/connection.js';
import { buildApiDeps, startApi, type RunningApi } from '../../src/api/server.js';
import { createLogger } from '../../src/logger.js';
import { CALLERS, startTestApi, type TestApi } from '../helpers/api.js';
import { expectProblem, json, type Problem, type RunList } from '../helpers/api-suite.js';
import { Started } from '../helpers/started.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { freePort } from '../helpers/ports.js';
import { eventually } from '../helpers/runs.js';
import { startTestTemporal, type TestTemporal } from '../helpers/temporal.js';

// Error responses (problem+json), a Temporal that cannot be reached, the OpenAPI document, /docs
// and CORS, through the real API in front of a real Temporal dev server.

const MAX_BODY_BYTES = 2_048;
const CORS_ORIGIN = 'https://app.example';

/** The routes the issue pins, as OpenAPI paths (parameter names aside). */
const PINNED_ROUTES = [
  'get /api/v1/chains',
  'get /api/v1/chains/{}',
  'post /api/v1/chains/{}',
  'post /api/v1/chains/{}/runs',
  'get /api/v1/runs',
  'get /api/v1/runs/{}',
  'post /api/v1/runs/{}/cancel',
];

const anyParam = (path: string) => path.replace(/\{[^}]+\}/g, '{}');
const silent = createLogger({ logLevel: 'silent' }, 'api');

void describe('HTTP API: errors, OpenAPI, docs and CORS', () => {
  const started = new Started();
  let engine: TestEngine;
  let api: TestApi;

  before(() =>
    started.setup(async () => {
      const temporal = started.add('temporal', await startTestTemporal(), (t: TestTemporal) => t.stop());
      engine = started.add(
        'engine',
        await startEngine(temporal.address, { CHAINPORT_MAX_BODY_BYTES: String(MAX_BODY_BYTES), CHAINPORT_CORS_ORIGINS: CORS_ORIGIN }),
        (e) => e.stop(),
      );
      await engine.startWorker();
      api = started.add('api', await startTestApi(engine), (a) => a.close(1_000));
    }),
  );
  after(() => started.stopAll());

  /** The API in front of another client; its callers are alice and bob. */
  async function apiWithClient(client: Client): Promise<RunningApi> {
    const config = { ...engine.config, api: { ...engine.config.api, apiKeys: `alice:${CALLERS.alice}` } };
    return started.add('extra api', await startApi({ config, client, catalog: engine.catalog, log: silent, port: 0 }), (a) => a.close(1_000));
  }
  const asAlice = { authorization: `Bearer ${CALLERS.alice}` };

  void describe('request errors', () => {
    void it('answers 400 malformed_json for a body that is not JSON', async () => {
      const problem = await expectProblem(
        await api.request('/api/v1/chains/chain-3/runs', { rawBody: '{"input": {"topic": ', headers: { 'content-type': 'application/json' } }),
        400,
        'malformed_json',
      );
      assert.equal(problem.type, '/docs#error-malformed_json');
      assert.equal(problem.title, 'Malformed JSON');
    });

    void it('reads a body only for a request that reached its route: a public one without a key, an API one only with a key', async () => {
      const malformed = { rawBody: '{"company": ', headers: { 'content-type': 'application/json' } };
      await expectProblem(await api.request('/demo/enrich', { ...malformed, key: null }), 400, 'malformed_json');
      await expectProblem(await api.request('/api/v1/chains/chain-3/runs', { ...malformed, key: null }), 401, 'unauthorized');
      await expectProblem(await api.request('/api/v1/nothing-here', malformed), 404, 'not_found');
      await expectProblem(await api.request('/api/v1/runs/run-x', { ...malformed, method: 'PUT' }), 405, 'method_not_allowed');
    });

    void it('answers 422 validation_failed with errors[{path,message}] for wrongly typed fields', async () => {
      for (const [body, path] of [
        [{ timeout_s: 'x' }, 'body.timeout_s'],
        [{ timeout_s: 301 }, 'body.timeout_s'],
        [{ timeout_s: 0 }, 'body.timeout_s'],
        [{ timeout_s: 1.5 }, 'body.timeout_s'],
        [{ input: 'otters' }, 'body.input'],
        [{ input: { topic: 'x' }, max_cost: -1 }, 'body.max_cost'],
      ] as const) {
        const problem = await expectProblem(await api.request('/api/v1/chains/chain-3', { body }), 422, 'validation_failed');
        assert.ok(problem.errors && problem.errors.length > 0, `errors for ${JSON.stringify(body)}`);
        assert.equal(problem.errors[0]!.path, path, JSON.stringify(problem.errors));
        assert.equal(typeof problem.errors[0]!.message, 'string');
      }
      for (const limit of ['abc', 'false', '1e1', '0x10', '%205', '2.0', '0', '101']) {
        const list = await expectProblem(await api.request(`/api/v1/runs?limit=${limit}`), 422, 'validation_failed');
        assert.deepEqual(list.errors?.map((e) => e.path), ['query.limit'], `limit=${limit}`);
      }
    });

    void it('answers 422 validation_failed naming an unknown body field', async () => {
      for (const route of ['/api/v1/chains/chain-3', '/api/v1/chains/chain-3/runs']) {
        const problem = await expectProblem(await api.request(route, { body: { input: { topic: 'x' }, webhook_urll: 'x' } }), 422, 'validation_failed');
        assert.deepEqual(problem.errors?.map((e) => e.path), ['body.webhook_urll']);
      }
    });

    void it("answers 422 validation_failed with path input.topic when the input fails the chain's input_schema", async () => {
      for (const route of ['/api/v1/chains/chain-3', '/api/v1/chains/chain-3/runs']) {
        const wrongType = await expectProblem(await api.request(route, { body: { input: { topic: 5 } } }), 422, 'validation_failed');
        assert.deepEqual(wrongType.errors?.map((e) => e.path), ['input.topic']);
        const missing = await expectProblem(await api.request(route, { body: { input: {} } }), 422, 'validation_failed');
        assert.deepEqual(missing.errors, [{ path: 'input.topic', message: 'is required' }]);
      }
    });

    void it('answers 404 chain_not_found for an unknown chain or version', async () => {
      await expectProblem(await api.request('/api/v1/chains/no-such-chain', { body: {} }), 404, 'chain_not_found');
      await expectProblem(await api.request('/api/v1/chains/no-such-chain/runs', { body: {} }), 404, 'chain_not_found');
      await expectProblem(await api.request('/api/v1/chains/chain-3@7/runs', { body: { input: { topic: 'x' } } }), 404, 'chain_not_found');
    });

    void it('answers 413 payload_too_large for a body over CHAINPORT_MAX_BODY_BYTES, declared or streamed', async () => {
      const big = { input: { topic: 'x'.repeat(MAX_BODY_BYTES * 2) } };
      await expectProblem(await api.request('/api/v1/chains/chain-3/runs', { body: big }), 413, 'payload_too_large');
      const chunks = [JSON.stringify(big).slice(0, MAX_BODY_BYTES), JSON.stringify(big).slice(MAX_BODY_BYTES)];
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          const next = chunks.shift();
          if (next === undefined) controller.close();
          else controller.enqueue(new TextEncoder().encode(next));
        },
      });
      const res = await fetch(`${api.url}/api/v1/chains/chain-3/runs`, {
        method: 'POST',
        headers: { ...asAlice, 'content-type': 'application/json' },
        body: stream,
        duplex: 'half',
      } as RequestInit);
      await expectProblem(res, 413, 'payload_too_large');
    });

    void it('answers 401 unauthorized for a missing or invalid key', async () => {
      await expectProblem(await api.request('/api/v1/runs', { key: null }), 401, 'unauthorized');
      await expectProblem(await api.request('/api/v1/runs', { key: 'wrong-key-0123456789abcdef' }), 401, 'unauthorized');
    });

    void it('answers 404 not_found for an unknown route, inside or outside /api/v1', async () => {
      await expectProblem(await api.request('/api/v1/nothing-here'), 404, 'not_found');
      await expectProblem(await api.request('/api/v1/runs/run-x/nothing'), 404, 'not_found');
      await expectProblem(await api.request('/nothing-here', { key: null }), 404, 'not_found');
      await expectProblem(await api.request('/docs/assets/secret.txt', { key: null }), 404, 'not_found');
    });

    void it('answers 405 method_not_allowed with the Allow header (RFC 9110) for a known route with the wrong method', async () => {
      for (const [path, method, allow, key] of [
        ['/api/v1/chains', 'DELETE', 'HEAD, GET', undefined],
        ['/api/v1/runs/run-0123456789abcdef0123/cancel', 'GET', 'POST', undefined],
        ['/api/v1/chains/chain-3', 'PATCH', 'HEAD, GET, POST', undefined],
        ['/readyz', 'PUT', 'HEAD, GET', null],
      ] as const) {
        const res = await api.request(path, { method, key });
        assert.equal(res.headers.get('allow'), allow, `${method} ${path}`);
        await expectProblem(res, 405, 'method_not_allowed');
      }
      await expectProblem(await api.request('/api/v1/chains', { method: 'DELETE' }), 405, 'method_not_allowed');
      await expectProblem(await api.request('/api/v1/runs/run-x', { method: 'PUT', body: {} }), 405, 'method_not_allowed');
      await expectProblem(await api.request('/api/v1/runs', { method: 'POST', body: {} }), 405, 'method_not_allowed');
      await expectProblem(await api.request('/healthz', { method: 'POST', key: null }), 405, 'method_not_allowed');
    });

    void it('echoes a sane X-Request-Id and replaces an unsafe one', async () => {
      const mine = await api.request('/api/v1/runs/run-nope', { headers: { 'x-request-id': 'trace-123.abc' } });
      assert.equal((await expectProblem(mine, 404, 'not_found')).request_id, 'trace-123.abc');
      const unsafe = await api.request('/healthz', { key: null, headers: { 'x-request-id': 'a b<script>' } });
      assert.match(unsafe.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    });

    void it('answers 422 validation_failed at once for a list cursor not issued for that listing', async () => {
      for (const topic of ['page-1', 'page-2']) await json(await api.request('/api/v1/chains/chain-3', { body: { input: { topic } } }), 200);
      const cursor = await eventually(async () => {
        const page = await json<RunList>(await api.request('/api/v1/runs?limit=1&chain=chain-3'), 200);
        return page.next_cursor ?? undefined;
      }, 10_000);
      const next = await json<RunList>(await api.request(`/api/v1/runs?limit=1&chain=chain-3&cursor=${encodeURIComponent(cursor)}`), 200);
      assert.equal(next.data.length, 1, 'the issued cursor works');
      for (const [query, key] of [
        ['cursor=bm90LWEtY3Vyc29y', CALLERS.alice],
        [`cursor=${encodeURIComponent(`${cursor}x`)}`, CALLERS.alice],
        [`limit=1&chain=chain-3&cursor=${encodeURIComponent(cursor)}`, CALLERS.bob],
        [`limit=1&status=failed&cursor=${encodeURIComponent(cursor)}`, CALLERS.alice],
      ] as const) {
        const t0 = Date.now();
        const problem = await expectProblem(await api.request(`/api/v1/runs?${query}`, { key }), 422, 'validation_failed');
        assert.deepEqual(problem.errors?.map((e) => e.path), ['query.cursor']);
        assert.ok(Date.now() - t0 < 1_000, `answered in ${Date.now() - t0} ms`);
      }
    });
  });

  void describe('input edge cases', () => {
    void it('answers 422 for a body nested deeper than 64 levels, before anything walks it', async () => {
      // This suite caps bodies at 2 KiB: 900 levels fit.
      const nested = `{"input":{"topic":${'['.repeat(900)}1${']'.repeat(900)}}}`;
      const problem = await expectProblem(await api.request('/api/v1/chains/chain-3/runs', { rawBody: nested, headers: { 'content-type': 'application/json' } }), 422, 'validation_failed');
      assert.match(problem.detail, /deeper than 64 levels/);
      const shallow = `{"input":{"topic":"t","deep":${'['.repeat(60)}1${']'.repeat(60)}}}`;
      assert.equal((await api.request('/api/v1/chains/chain-3/runs', { rawBody: shallow, headers: { 'content-type': 'application/json' } })).status, 202);
    });

    void it('answers 422 for a chain version too large to be one, never a visibility error', async () => {
      for (const chain of ['x@99999999999999999999', 'chain-3@1000000000']) {
        const problem = await expectProblem(await api.request(`/api/v1/runs?chain=${chain}`), 422, 'validation_failed');
        assert.deepEqual(problem.errors?.map((e) => e.path), ['query.chain']);
      }
      assert.equal((await api.request('/api/v1/runs?chain=chain-3@999999999')).status, 200);
    });

    void it('answers 404 for a malformed run id on every run route without asking Temporal', async () => {
      const broken = await apiWithClient(new Client({ connection: engine.connection, namespace: 'no-such-namespace' }));
      for (const id of ['x'.repeat(80), `run-${'a'.repeat(76)}`, 'run-0123456789ABCDEF0123', 'run-k0123', '%F0%9F%92%A5']) {
        for (const [method, suffix] of [['GET', ''], ['POST', '/cancel'], ['GET', '/events'], ['GET', '/deliveries']] as const) {
          // The broken client answers every Temporal call with an error: a 404 here means none was made.
          const res = await fetch(`${broken.url}/api/v1/runs/${id}${suffix}`, { method, headers: asAlice });
          await expectProblem(res, 404, 'not_found');
        }
      }
    });

    void it('refuses a cursor signed without the service key, even one with a correct unkeyed tag', async () => {
      const token = Buffer.from('forged-page-token');
      const unkeyed = createHash('sha256').update(`runs\u0000alice\u0000\u0000`).update(token).digest('base64url').slice(0, 16);
      const problem = await expectProblem(await api.request(`/api/v1/runs?cursor=${token.toString('base64url')}.${unkeyed}`), 422, 'validation_failed');
      assert.deepEqual(problem.errors?.map((e) => e.path), ['query.cursor']);
    });
  });

  void describe('server errors', () => {
    void it('answers 500 internal without a stack or internals when the engine call fails unexpectedly', async () => {
      // An error Temporal never sends, full of internals: nothing of it may reach the caller. (A missing
      // namespace would not do: that is how a server answers while its database restarts, a 503.)
      const fail = (): never => {
        throw new Error('grpc NotFound: namespace lookup failed at stack frame internals');
      };
      const interceptor = { describe: fail, start: fail, startWithDetails: fail };
      const broken = await apiWithClient(new Client({ connection: engine.connection, namespace: engine.config.temporal.namespace, interceptors: { workflow: [interceptor] } }));
      for (const [method, path] of [
        ['GET', '/api/v1/runs/run-0123456789abcdef0123'],
        ['POST', '/api/v1/chains/chain-3/runs'],
      ] as const) {
        const res = await fetch(`${broken.url}${path}`, {
          method,
          headers: { ...asAlice, 'content-type': 'application/json' },
          ...(method === 'POST' && { body: JSON.stringify({ input: { topic: 'x' } }) }),
        });
        const text = await res.clone().text();
        const problem = await expectProblem(res, 500, 'internal');
        assert.equal(problem.title, 'Internal error');
        assert.doesNotMatch(text, /namespace|grpc|stack|NotFound|\w+Error\b/i, 'nothing about internals');
        assert.deepEqual(Object.keys(problem).sort(), ['code', 'detail', 'request_id', 'status', 'title', 'type']);
      }
    });

    void it('answers 503 unavailable with Retry-After when Temporal cannot be reached', async () => {
      const dead = { ...engine.config, temporal: { ...engine.config.temporal, address: `127.0.0.1:${await freePort()}` } };
      const connection = Connection.lazy(clientConnectionOptions(dead));
      started.add('dead connection', connection, (c) => c.close());
      const unreachable = await apiWithClient(new Client({ connection }));
      const requests = [
        ['GET', '/api/v1/runs/run-0123456789abcdef0123', undefined],
        ['GET', '/api/v1/runs', undefined],
        ['POST', '/api/v1/chains/chain-3/runs', { input: { topic: 'x' } }],
        ['POST', '/api/v1/chains/chain-3', { input: { topic: 'x' } }],
        ['POST', '/api/v1/runs/run-0123456789abcdef0123/cancel', undefined],
      ] as const;
      const started503 = Date.now();
      await Promise.all(
        requests.map(async ([method, path, body]) => {
          const res = await fetch(`${unreachable.url}${path}`, {
            method,
            headers: { ...asAlice, 'content-type': 'application/json' },
            ...(body && { body: JSON.stringify(body) }),
          });
          assert.ok(Number(res.headers.get('retry-after')) >= 1, `Retry-After on ${method} ${path}`);
          await expectProblem(res, 503, 'unavailable');
        }),
      );
      assert.ok(Date.now() - started503 < 5_000, `503s answered within ${Date.now() - started503} ms`);
      const t0 = Date.now();
      const text = JSON.stringify(await json(await fetch(`${unreachable.url}/readyz`), 503));
      assert.equal(text, '{"status":"not_ready"}', 'a fixed word, never the gRPC error text');
      assert.ok(Date.now() - t0 < 8_000, `/readyz answered in ${Date.now() - t0} ms`);
    });
  });

  void describe('OpenAPI and docs', () => {
    let document: { openapi: string; paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>> };

    before(async () => {
      const res = await api.request('/openapi.json', { key: null });
      document = await json(res, 200);
    });

    void it('serves /openapi.json as a valid OpenAPI 3.1 document', async () => {
      assert.match(document.openapi, /^3\.1\./);
      const validator = new Validator();
      const result = await validator.validate(document as unknown as Record<string, unknown>);
      assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
      assert.equal(validator.version, '3.1');
      const components = (document as unknown as { components: Record<string, Record<string, unknown>> }).components;
      const schemas = components.schemas!;
      const refs = [...JSON.stringify(document).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
      assert.ok(refs.length > 0);
      for (const ref of refs) {
        const [, kind, name] = /^#\/components\/(schemas|headers)\/([^/]+)$/.exec(ref) ?? [];
        assert.ok(kind && name, `${ref} points into components.schemas or components.headers`);
        assert.ok(name in components[kind]!, `${ref} resolves`);
      }
      for (const name of ['Run', 'RunAccepted', 'RunList', 'Chain', 'ChainList', 'Problem', 'SyncRunRequest', 'AsyncRunRequest']) assert.ok(name in schemas, name);
    });

    void it('lists every /api/v1 route the app serves, and every pinned route, with its method', () => {
      const documented = new Set(
        Object.entries(document.paths)
          .filter(([path]) => path.startsWith('/api/v1'))
          .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${anyParam(path)}`)),
      );
      const deps = buildApiDeps({ config: engine.config, client: engine.client, catalog: engine.catalog, log: silent });
      const served = allRoutes(deps)
        .filter((r) => r.path.startsWith('/api/v1'))
        .map((r) => `${r.method} ${anyParam(r.path.replace(/:([a-z_]+)/g, '{$1}'))}`);
      for (const route of served) assert.ok(documented.has(route), `${route} is served but not in openapi.json`);
      for (const route of PINNED_ROUTES) assert.ok(documented.has(route), `pinned ${route} is not in openapi.json`);
      assert.deepEqual([...documented].sort(), [...new Set(served)].sort(), 'openapi.json documents no route the app does not serve');
    });

    void it('documents only routes the API really answers', async () => {
      for (const [path, ops] of Object.entries(document.paths).filter(([p]) => p.startsWith('/api/v1'))) {
        for (const method of Object.keys(ops)) {
          const concrete = path.replace('{chain}', 'chain-3').replace(/\{[^}]+\}/g, 'run-nope');
          const res = await api.request(concrete, { method: method.toUpperCase(), ...(method === 'post' && { body: { input: { topic: 'x' } } }) });
          const text = await res.text();
          assert.notEqual(res.status, 405, `${method} ${path}: ${text}`);
          assert.doesNotMatch(text, /No route for/, `${method} ${path}`);
        }
      }
    });

    void it('serves /docs as HTML that loads only local assets', async () => {
      const res = await api.request('/docs', { key: null });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      assert.ok(res.headers.get('x-request-id'));
      // Never framed (clickjacking), never sniffed, scripts from this origin or the one hashed start-up script.
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /frame-ancestors 'none'/);
      assert.match(csp, /script-src 'self' 'sha256-[A-Za-z0-9+/=]+'(;|$)/);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      const html = await res.text();
      const scripts = [...html.matchAll(/<script[^>]*\ssrc="([^"]+)"/g)].map((m) => m[1]!);
      const links = [...html.matchAll(/<link[^>]*\shref="([^"]+)"/g)].map((m) => m[1]!);
      assert.ok(scripts.length > 0, 'the page loads Swagger UI');
      for (const url of [...scripts, ...links]) {
        assert.doesNotMatch(url, /^(https?:)?\/\//i, `${url} is not local`);
        const asset = await api.request(url, { key: null });
        assert.equal(asset.status, 200, `${url} is served`);
        await asset.arrayBuffer();
      }
      assert.doesNotMatch(html, /<script[^>]+src="(https?:)?\/\//i);
      // Problem `type` links point at anchors the page has.
      const problem: Problem = await expectProblem(await api.request('/api/v1/nope'), 404, 'not_found');
      assert.ok(html.includes(`id="${problem.type.split('#')[1]}"`), `${problem.type} has an anchor in /docs`);
    });
  });

  void describe('CORS', () => {
    const EXPOSED = ['location', 'retry-after', 'ratelimit', 'ratelimit-policy', 'x-request-id'];

    void it('allows a configured origin and exposes Location, Retry-After, RateLimit, RateLimit-Policy and X-Request-Id', async () => {
      for (const res of [
        await api.request('/api/v1/chains', { headers: { origin: CORS_ORIGIN } }),
        await api.request('/api/v1/runs/run-nope', { headers: { origin: CORS_ORIGIN } }),
        await api.request('/api/v1/chains', { key: null, headers: { origin: CORS_ORIGIN } }),
      ]) {
        assert.equal(res.headers.get('access-control-allow-origin'), CORS_ORIGIN, `on ${res.status}`);
        const exposed = (res.headers.get('access-control-expose-headers') ?? '').toLowerCase().split(/\s*,\s*/);
        for (const header of EXPOSED) assert.ok(exposed.includes(header), `${header} exposed on ${res.status}: ${exposed.join(',')}`);
        await res.arrayBuffer();
      }
    });

    void it('answers a preflight from the configured origin allowing the Idempotency-Key header', async () => {
      const res = await api.request('/api/v1/chains/chain-3/runs', {
        method: 'OPTIONS',
        key: null,
        headers: { origin: CORS_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, idempotency-key' },
      });
      assert.ok(res.status === 204 || res.status === 200, `preflight status ${res.status}`);
      assert.equal(res.headers.get('access-control-allow-origin'), CORS_ORIGIN);
      assert.match(res.headers.get('access-control-allow-headers') ?? '', /idempotency-key/i);
      assert.match(res.headers.get('access-control-allow-methods') ?? '', /POST/);
    });

    void it('gives another origin no CORS headers', async () => {
      const res = await api.request('/api/v1/chains', { headers: { origin: 'https://evil.example' } });
      await json(res, 200);
      for (const [name] of res.headers) assert.ok(!name.startsWith('access-control-'), `${name} sent to another origin`);
      const preflight = await api.request('/api/v1/chains', { method: 'OPTIONS', key: null, headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
      for (const [name] of preflight.headers) assert.ok(!name.startsWith('access-control-'), `${name} sent on preflight to another origin`);
    });
  });
});
