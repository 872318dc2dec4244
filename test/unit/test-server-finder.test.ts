import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { cachedTestServerPath, resolveTestServer } from '../helpers/test-server.js';

/** An executable shell script at `file`. */
function script(file: string, body: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
}

describe('resolveTestServer: where the time-skipping test server comes from', () => {
  let dir: string;
  let bin: string;
  let savedPath: string | undefined;
  const lines: string[] = [];
  const log = (line: string) => void lines.push(line);

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'chainport-test-server-'));
    // Only what a test puts here is on PATH.
    bin = path.join(dir, 'bin');
    mkdirSync(bin);
    savedPath = process.env.PATH;
    process.env.PATH = bin;
    lines.length = 0;
  });
  afterEach(() => {
    process.env.PATH = savedPath;
  });

  it('runs the wrapper cached before, without asking Maven', async () => {
    script(path.join(bin, 'java'), 'exit 0');
    script(path.join(bin, 'mvn'), 'echo asked > "$(dirname "$0")/mvn-was-asked"; exit 1');
    const wrapper = cachedTestServerPath(dir);
    script(wrapper, 'exit 0');
    assert.deepEqual(await resolveTestServer({ cacheDir: dir, log }), { type: 'existing-path', path: wrapper });
    assert.match(lines.join('\n'), /cached/);
    assert.equal(existsSync(path.join(bin, 'mvn-was-asked')), false);
  });

  it('leaves it to the SDK download, saying why, when there is no JDK to run the jar', async () => {
    const found = await resolveTestServer({ cacheDir: dir, log });
    assert.equal(found.type, 'cached-download');
    assert.match(lines.join('\n'), /no `java` on PATH.*needs https:\/\/temporal\.download/);
  });

  it("leaves it to the SDK download, with Maven's error, when Maven cannot fetch it", async () => {
    script(path.join(bin, 'java'), 'exit 0');
    script(path.join(bin, 'mvn'), 'echo "[ERROR] Could not transfer artifact from central: Network is unreachable"; exit 1');
    const found = await resolveTestServer({ cacheDir: dir, log });
    assert.equal(found.type, 'cached-download');
    assert.match(lines.join('\n'), /fetching with Maven failed \(mvn exited 1: \[ERROR\] Could not transfer artifact/);
  });
});
