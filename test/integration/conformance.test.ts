import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { before, describe, it } from 'node:test';
import { json } from '../helpers/api-suite.js';
import { CALLERS } from '../helpers/api.js';
import { schemathesisBinary } from '../helpers/schemathesis.js';
import { captureLogs } from '../helpers/log-capture.js';
import { useStack } from '../helpers/stack.js';

// The OpenAPI document, checked by tools we did not write: Redocly's linter, and schemathesis with
// every check (`--checks all`) against the real service — API, worker and an embedded Temporal dev
// server — in every phase: examples, coverage, fuzzing, and the stateful phase, which follows the
// document's links from a started run to the operations on it.
//
// No check is excluded. test/conformance/schemathesis.toml adds 422 to positive_data_acceptance for
// the few operations where a schema-valid request can still be refused for a reason no schema can
// state (an opaque signed cursor; a webhook URL that must resolve to a public address; an
// Idempotency-Key reused with another body), each with its reason.

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const CONFIG = path.join(ROOT, 'test/conformance/schemathesis.toml');
const OUTPUT = path.join(ROOT, 'test-output');
/** Free, instant chains taking any input (one with an input step that goes on by itself after 1 s): every run the fuzzer starts ends within seconds. */
const CHAINS = path.join(ROOT, 'test/fixtures/conformance-chains');
/** Fixed, so a failure found here reproduces with the same command; schemathesis prints it. */
const SEED = '18';
/** Bounds the whole run; on a 2-core machine it takes one to two minutes. */
const ST_TIMEOUT_MS = 300_000;

void describe('the OpenAPI document, checked by tools we did not write', () => {
  // The API's access log, kept in memory: which operations the fuzzer reached, and with what answer.
  const access = captureLogs();
  const stack = useStack({
    env: {
      CHAINPORT_CHAINS_DIR: CHAINS,
      // The fuzzer sends thousands of requests, some without a key (ignored_auth): limits would answer
      // 429 and leave the logic behind them untested.
      CHAINPORT_RATE_LIMIT_PER_MIN: '1000000',
      CHAINPORT_AUTH_FAILURES_PER_MIN: '1000000',
      CHAINPORT_MAX_CONCURRENT_RUNS: '100000',
    },
    api: { log: access.log },
  });
  let documentFile: string;
  let document: Record<string, Record<string, unknown>>;

  before(async () => {
    document = await json(await stack.api.request('/openapi.json', { key: null }), 200);
    documentFile = path.join(await mkdtemp(path.join(os.tmpdir(), 'chainport-openapi-')), 'openapi.json');
    await writeFile(documentFile, JSON.stringify(document));
  });

  void it('passes the Redocly linter (recommended rules, redocly.yaml) with zero errors', async () => {
    const redocly = path.join(ROOT, 'node_modules/.bin/redocly');
    // Offline and quiet: no telemetry, no update check.
    const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' };
    const result = await run(redocly, ['lint', documentFile, '--config', path.join(ROOT, 'redocly.yaml'), '--format=json'], { cwd: ROOT, env, maxBuffer: 16 * 1024 * 1024 }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
    const report = JSON.parse(result.stdout) as { totals: { errors: number }; problems: Array<{ severity: string; message: string; location: unknown }> };
    const errors = report.problems.filter((p) => p.severity === 'error');
    assert.equal(report.totals.errors, 0, JSON.stringify(errors, null, 2));
  });

  void it('describes webhooks, SSE events and the links of a run’s life', () => {
    const webhooks = document.webhooks!;
    for (const event of ['chain.completed', 'chain.failed', 'chain.timed_out', 'chain.cancelled', 'agent.completed', 'run.input_required']) assert.ok(event in webhooks, `webhook ${event}`);
    const paths = document.paths as Record<string, Record<string, { responses: Record<string, { links?: Record<string, unknown>; content?: Record<string, { schema: { oneOf?: unknown[] } }> }> }>>;
    const started = paths['/api/v1/chains/{chain}/runs']!.post!.responses['202']!;
    assert.deepEqual(Object.keys(started.links ?? {}).sort(), ['cancelRun', 'createStreamToken', 'getRun', 'listDeliveries', 'provideInput', 'rerunRun', 'resendWebhook', 'streamRerun', 'streamRunEvents']);
    assert.ok(paths['/api/v1/chains']!.get!.responses['200']!.links?.startRun, 'GET /chains links to starting a run');
    const events = paths['/api/v1/runs/{run_id}/events']!.get!.responses['200']!.content!['text/event-stream']!.schema.oneOf;
    assert.equal(events?.length, 11, 'one schema per SSE event type');
  });

  void it('passes schemathesis --checks all in every phase with zero failures, reaching a real run through the links', async () => {
    const st = await schemathesisBinary();
    const url = stack.api.url;
    const args = [
      '--config-file', CONFIG,
      'run', `${url}/openapi.json`,
      '--url', url,
      '--header', `Authorization: Bearer ${CALLERS.alice}`,
      '--checks', 'all',
      '--phases', 'examples,coverage,fuzzing,stateful',
      '--seed', SEED,
      '--max-examples', '100',
      // One worker: the same seed gives the same requests, and Python 3.11's ast.parse, which hypothesis
      // calls to describe strategies, is not thread-safe ("AST constructor recursion depth mismatch").
      '--workers', '1',
      // A stream of the fixture chain ends within a second; a wait beyond this is a hang, reported as one.
      '--request-timeout', '10',
      '--no-color',
    ];
    const result = await run(st, args, { cwd: ROOT, timeout: ST_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (err: { code?: number; stdout?: string; stderr?: string; killed?: boolean }) => ({ code: err.killed ? 'timed out' : err.code, stdout: `${err.stdout ?? ''}\n${err.stderr ?? ''}` }),
    );
    await mkdir(OUTPUT, { recursive: true });
    await writeFile(path.join(OUTPUT, 'schemathesis.txt'), result.stdout);
    // Failures can carry megabytes of generated data: the message keeps each line short, the file has it all.
    const summary = result.stdout
      .split('\n')
      .filter((line) => /^(_{3,}|- ST\d|\s+(❌|Received|Documented|Expected))/u.test(line))
      .map((line) => line.slice(0, 300))
      .join('\n');
    assert.equal(result.code, 0, `schemathesis failed (full output: test-output/schemathesis.txt); reproduce with: st ${args.join(' ')}\n${summary}`);
    assert.match(result.stdout, /Stateful/, 'the stateful phase ran');
    const operations = Object.values(document.paths!).reduce((n: number, ops) => n + Object.keys(ops as object).length, 0);
    assert.match(result.stdout, new RegExp(`Selected: ${operations}/${operations}\\s+Tested: ${operations}\\b`), 'every operation was tested');
    // Only a run_id that came from a started run answers 200 here: the stateful phase followed the links.
    const answered = (method: string, route: string) => access.lines.filter((l) => l.msg === 'request' && l.method === method && l.route === route).map((l) => l.status);
    assert.ok(answered('POST', '/api/v1/chains/:chain/runs').includes(202), 'schemathesis started runs');
    assert.ok(answered('GET', '/api/v1/runs/:run_id').includes(200), 'schemathesis polled a real run it had started');
    assert.ok(answered('POST', '/api/v1/runs/:run_id/input').some((status) => status !== 404), 'schemathesis answered a real run it had started');
    assert.ok(answered('POST', '/api/v1/runs/:run_id/rerun').some((status) => status !== 404), 'schemathesis re-ran a real run it had started');
  });
});
