import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT, startServiceProcess } from '../../src/cluster/processes.js';
import { freePort } from '../../src/cluster/ports.js';
import { CALLERS } from '../helpers/api.js';
import { request, useCluster } from './helpers.js';

const run = promisify(execFile);
/** npm and the build must not think they are tests of this runner (NODE_TEST_CONTEXT would say so). */
const toolEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('NODE_TEST')));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/**
 * The files the Dockerfile's final stage copies, read from the Dockerfile itself: `[from, to]` pairs,
 * `from` relative to the repository (a `--from=build /app/x` is the repository's own build output).
 * The deps stage's node_modules is left out: the test installs it the way that stage does.
 */
function finalStageCopies(): Array<[string, string]> {
  const text = readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const stage = text.slice(text.lastIndexOf('\nFROM '));
  const copies: Array<[string, string]> = [];
  for (const line of stage.split('\n').filter((l) => l.startsWith('COPY '))) {
    const words = line.split(/\s+/).slice(1);
    const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
    const [dest, ...sources] = words.filter((w) => !w.startsWith('--')).reverse();
    if (from === 'deps') continue;
    for (const source of sources.reverse()) {
      const relative = from ? path.relative('/app', source) : source;
      const target = dest!.endsWith('/') ? path.join(dest!, path.basename(relative)) : dest!;
      copies.push([relative, target]);
    }
  }
  return copies;
}

/**
 * What the image does, without a Docker engine: `npm run build`, then only what the Dockerfile's final
 * stage holds, with `npm ci --omit=dev` as its deps stage runs it — no tsx, no vite, no
 * @temporalio/testing — and the image's entrypoint starting the roles against the cluster.
 */
const appDir = mkdtempSync(path.join(os.tmpdir(), 'chainport-production-'));

describe('production build: dist/ entry points with dev dependencies absent, on the cluster', () => {
  before(async () => {
    await run(npm, ['run', 'build'], { cwd: REPO_ROOT, timeout: 300_000, env: toolEnv });
    const copies = finalStageCopies();
    assert.ok(copies.some(([from]) => from === 'dist'), `the final stage copies dist/ (${JSON.stringify(copies)})`);
    for (const [from, to] of copies) {
      mkdirSync(path.dirname(path.join(appDir, to)), { recursive: true });
      cpSync(path.join(REPO_ROOT, from), path.join(appDir, to), { recursive: true });
    }
    // Not in the image: what `npm start` runs through, for the NODE_ENV=production npm start check.
    cpSync(path.join(REPO_ROOT, 'scripts'), path.join(appDir, 'scripts'), { recursive: true });
    await run(npm, ['ci', '--omit=dev', '--no-audit', '--no-fund'], { cwd: appDir, timeout: 300_000, env: { ...toolEnv, NODE_ENV: 'production' } });
  }, { timeout: 600_000 });
  after(() => rmSync(appDir, { recursive: true, force: true }));

  const suite = useCluster({ apis: 1, workers: 1, entry: 'image', appDir });

  it('installs no development tooling', () => {
    for (const name of ['tsx', 'vite', '@temporalio/testing', 'typescript', 'eslint', 'playwright-core', 'puppeteer-core']) {
      assert.equal(existsSync(path.join(appDir, 'node_modules', name)), false, `${name} is not installed by npm ci --omit=dev`);
    }
  });

  it('runs a chain through the image entrypoint (dist/api/server.js, dist/worker.js), the worker loading the prebuilt bundle', async () => {
    const res = await request(suite.cluster.apis[0]!, '/api/v1/chains/chain-3', { body: { input: { topic: 'production' } } });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(((await res.json()) as { status: string }).status, 'completed');
    assert.equal(existsSync(path.join(appDir, 'data', 'workflow-bundles')), false, 'the worker bundled nothing at start');
  });

  it('serves the playground built at build time', async () => {
    const res = await fetch(`${suite.cluster.apis[0]!.url}/playground`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /<script/);
  });

  it('runs `npm start` with NODE_ENV=production from dist/ (no TypeScript loader) against the cluster', async () => {
    const port = await freePort();
    const env = { ...suite.cluster.processEnv, NODE_ENV: 'production', PORT: String(port), CHAINPORT_DATA_DIR: path.join(appDir, 'data-start') };
    const started = await startServiceProcess({ role: 'api', name: 'npm-start', env, logFile: path.join(suite.cluster.logDir, 'npm-start.log'), appDir, command: [npm, 'start'], readyPattern: /Chainport is running/ });
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/chains/chain-3`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CALLERS.alice}`, 'content-type': 'application/json' },
        body: JSON.stringify({ input: { topic: 'npm start' } }),
      });
      assert.equal(res.status, 200, await res.clone().text());
      assert.doesNotMatch(started.output(), /tsx/);
    } finally {
      await started.stop(10_000);
    }
  });
});
