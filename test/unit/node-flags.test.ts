// API and worker processes run with their role's V8 flags (src/cluster/node-flags.ts says why): the
// places that start one without importing that list — package.json's entries and the image's
// entrypoint — are held to it here, and the supported Node must accept them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { NODE_FLAGS } from '../../src/cluster/node-flags.js';

describe("the API and worker processes' V8 flags", () => {
  it('are what `npm run api` and `npm run worker` give their Node', () => {
    const { scripts } = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    for (const role of ['api', 'worker'] as const) {
      assert.ok(scripts[role]!.startsWith(`exec sh scripts/exec-node.sh ${NODE_FLAGS[role].join(' ')} scripts/node.mjs `), `npm run ${role}: ${scripts[role]}`);
    }
  });

  it("are what the image's entrypoint gives node, for either role", () => {
    // A `node` first on PATH that prints what it was asked to run.
    const bin = mkdtempSync(path.join(os.tmpdir(), 'chainport-fake-node-'));
    writeFileSync(path.join(bin, 'node'), '#!/bin/sh\necho "$@"\n');
    chmodSync(path.join(bin, 'node'), 0o755);
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    const run = (role: string) => execFileSync('sh', ['deploy/docker/entrypoint.sh', role, '--extra'], { encoding: 'utf8', env }).trim();
    assert.equal(run('api'), `${NODE_FLAGS.api.join(' ')} dist/api/server.js --extra`);
    assert.equal(run('worker'), `${NODE_FLAGS.worker.join(' ')} dist/worker.js --extra`);
  });

  it('are accepted by the supported Node (it refuses a flag it does not know)', () => {
    const supported = execFileSync('node', ['scripts/supported-node.mjs'], { encoding: 'utf8' }).trim();
    for (const flags of Object.values(NODE_FLAGS)) assert.equal(execFileSync(supported, [...flags, '-p', '"ok"'], { encoding: 'utf8' }).trim(), 'ok');
    assert.throws(() => execFileSync(supported, ['--heap-growing-percent-typo=50', '-p', '1'], { stdio: 'pipe' }), /bad option/);
  });
});
