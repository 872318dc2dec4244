// `npm start` checks its whole configuration before it starts anything: a bad setting must not cost a
// Temporal server start and a worker, then a shutdown that logs errors of its own.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/ports.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Exit {
  code: number | null;
  stderr: string;
  ms: number;
}

describe('start: fail fast on configuration', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'chainport-fail-fast-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  // A stand-in Temporal CLI that only leaves a mark: if it runs, start.ts got as far as starting a server.
  const marker = path.join(dir, 'temporal-was-started');
  const fakeCli = path.join(dir, 'temporal');
  writeFileSync(fakeCli, `#!/bin/sh\ntouch '${marker}'\nsleep 30\n`);
  chmodSync(fakeCli, 0o755);

  async function start(env: Record<string, string>): Promise<Exit> {
    const clean: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) if (!/^(TEMPORAL_|CHAINPORT_|NODE_TEST|HOST$|PORT$)/.test(key)) clean[key] = value;
    const begun = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/start.ts'], {
      cwd: REPO_ROOT,
      env: {
        ...clean,
        CHAINPORT_DATA_DIR: path.join(dir, 'data'),
        TEMPORAL_CLI_PATH: fakeCli,
        TEMPORAL_PORT: String(await freePort()),
        TEMPORAL_UI_PORT: String(await freePort()),
        PORT: String(await freePort()),
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    clearTimeout(killer);
    return { code, stderr, ms: Date.now() - begun };
  }

  it('exits 1 naming CHAINPORT_API_KEYS for a too-short key, before any Temporal process is started', async () => {
    const exit = await start({ CHAINPORT_API_KEYS: 'alice:short' });
    assert.equal(exit.code, 1, exit.stderr);
    assert.ok(exit.ms < 10_000, `exited after ${exit.ms} ms`);
    assert.match(exit.stderr, /CHAINPORT_API_KEYS: .*at least 16 characters/);
    assert.doesNotMatch(exit.stderr, /IllegalStateError|Cannot close connection/);
    assert.equal(existsSync(marker), false, 'the Temporal CLI was never run');
  });

  it('exits 1 when the API listens beyond loopback without a metrics token', async () => {
    const exit = await start({ HOST: '0.0.0.0' });
    assert.equal(exit.code, 1, exit.stderr);
    assert.match(exit.stderr, /CHAINPORT_METRICS_TOKEN is required when HOST \(0\.0\.0\.0\) is not loopback/);
    assert.equal(existsSync(marker), false, 'the Temporal CLI was never run');
  });

  it('exits 1 when a cluster address is set without CHAINPORT_SECRET_KEY', async () => {
    const exit = await start({ TEMPORAL_ADDRESS: '127.0.0.1:1' });
    assert.equal(exit.code, 1, exit.stderr);
    assert.match(exit.stderr, /CHAINPORT_SECRET_KEY is required with TEMPORAL_ADDRESS/);
  });
});
