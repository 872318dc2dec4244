import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PROBLEMS } from '../../src/api/problem.js';
import { CALLERS } from '../helpers/api.js';
import { useStack } from '../helpers/stack.js';

const PATHS = [
  '/api/v1/chains/{chain}',
  '/api/v1/chains/{chain}/runs',
  '/api/v1/chains/{chain}/stream',
  '/api/v1/runs',
  '/api/v1/runs/{run}',
  '/api/v1/runs/{run}/cancel',
  '/api/v1/runs/{run}/events',
  '/api/v1/runs/{run}/deliveries',
  '/api/v1/runs/{run}/deliveries/{run}/redeliver',
  '/api/v1/runs/{run}/webhook/resend',
  '/api/v1/webhooks/failed',
  '/api/v1/chains',
  '/healthz',
  '/openapi.json',
  '/nope/{run}',
];

/** Every status the API documents (success and problem codes); anything else is a bug. */
const DOCUMENTED = new Set([200, 202, ...Object.values(PROBLEMS).map((p) => p.status)]);
const jsonValue = fc.jsonValue({ maxDepth: 3 });
// Run ids of every length and near-miss form, chain refs with versions past any integer type.
const runIdLike = fc.oneof(
  fc.string({ minLength: 60, maxLength: 100 }).map(encodeURIComponent),
  fc.stringMatching(/^run-k?[0-9a-fA-F]{15,40}$/),
  fc.constant('x'.repeat(80)),
);
const hugeVersion = fc.bigInt({ min: 10n ** 9n, max: 10n ** 30n }).map((v) => `chain-3@${v}`);
const segment = fc.oneof(fc.constantFrom('chain-3', 'chain-3@1', 'chain-3@99', 'run-x', '', '..', '%00', '%E0%A4%A'), fc.string({ maxLength: 40 }).map(encodeURIComponent), runIdLike, hugeVersion);
/** JSON nested far past the 64-level cap, as input or as the whole body. */
const deep = fc.integer({ min: 60, max: 20_000 }).map((depth) => `{"input":{"topic":"deep","x":${'['.repeat(depth)}${']'.repeat(depth)}}}`);
const body = fc.oneof(
  jsonValue.map((v) => JSON.stringify(v)),
  fc.record({ input: jsonValue, timeout_s: fc.oneof(fc.integer(), fc.string(), fc.double()), max_cost: fc.oneof(fc.double(), fc.string()) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
  fc.record({ input: fc.constant({ topic: 'fuzz' }), webhook: fc.record({ url: fc.oneof(fc.webUrl(), fc.string()), secret: fc.string(), events: fc.array(fc.string()) }, { requiredKeys: [] }) }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc.constant(''),
  deep,
);
const request = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
  path: fc.tuple(fc.constantFrom(...PATHS), segment, segment).map(([p, a, b]) => p.replace('{chain}', a).replace('{run}', b)),
  query: fc.dictionary(fc.constantFrom('limit', 'cursor', 'status', 'chain', 'last_event_id', 'x'), fc.oneof(fc.string({ maxLength: 30 }), hugeVersion, fc.bigInt({ min: 10n ** 15n, max: 10n ** 40n }).map(String)), { maxKeys: 3 }),
  body,
  contentType: fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', ''),
  key: fc.constantFrom(CALLERS.alice, CALLERS.bob, 'wrong-key', ''),
  idempotencyKey: fc.option(fc.string({ maxLength: 300 }), { nil: undefined }),
  lastEventId: fc.option(fc.string({ maxLength: 60 }), { nil: undefined }),
});

describe('fuzzing every route with malformed input', () => {
  const stack = useStack({ env: { CHAINPORT_RATE_LIMIT_PER_MIN: '100000' } });

  it('answers every request with a documented status, problem+json for errors, never a 500 or a stack', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const headers: Record<string, string> = {};
        if (r.key) headers.authorization = `Bearer ${r.key}`;
        if (r.contentType) headers['content-type'] = r.contentType;
        // Header values must be Latin-1 for fetch; anything else is the client's problem, not the API's.
        if (r.idempotencyKey !== undefined && /^[\x20-\x7e]*$/.test(r.idempotencyKey)) headers['idempotency-key'] = r.idempotencyKey;
        if (r.lastEventId !== undefined && /^[\x20-\x7e]*$/.test(r.lastEventId)) headers['last-event-id'] = r.lastEventId;
        const query = new URLSearchParams(r.query).toString();
        const controller = new AbortController();
        const res = await fetch(`${stack.api.url}${r.path}${query ? `?${query}` : ''}`, {
          method: r.method,
          headers,
          body: r.method === 'GET' ? undefined : r.body,
          signal: controller.signal,
        });
        const type = res.headers.get('content-type') ?? '';
        // A valid stream request opens a stream: that is a success, not something to read to the end.
        if (type.startsWith('text/event-stream')) {
          controller.abort();
          assert.equal(res.status, 200);
          return;
        }
        const text = await res.text();
        assert.ok(DOCUMENTED.has(res.status), `${r.method} ${r.path} answered undocumented ${res.status}: ${text.slice(0, 200)}`);
        assert.notEqual(res.status, 500, `${r.method} ${r.path} answered 500: ${text.slice(0, 300)}`);
        assert.ok(res.headers.get('x-request-id'), 'every response carries X-Request-Id');
        if (res.status >= 400) {
          assert.equal(type, 'application/problem+json', `${r.method} ${r.path} ${res.status} is problem+json`);
          const problem = JSON.parse(text) as { code: string; status: number };
          assert.ok(problem.code in PROBLEMS, `documented code ${problem.code}`);
          assert.equal(problem.status, res.status);
          assert.doesNotMatch(text, /\bat [\w.<>]+ \(|node_modules|\.ts:\d+/, 'no stack trace');
        }
      }),
      { numRuns: 400, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) },
    );
    const health = await fetch(`${stack.api.url}/healthz`);
    assert.equal(health.status, 200, 'the process is still up');
  });
});
