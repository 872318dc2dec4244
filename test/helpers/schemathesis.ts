import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { defaultCacheDir } from '../../src/temporal/cli.js';

const run = promisify(execFile);

/** The schemathesis release the conformance test runs; bump it here and nowhere else. */
export const SCHEMATHESIS_VERSION = '4.32.5';

/**
 * The `st` binary of schemathesis SCHEMATHESIS_VERSION, from a virtual environment cached per machine
 * (`<cache>/schemathesis/<version>`, the cache the Temporal CLI uses: CHAINPORT_CACHE_DIR, else
 * ~/.cache/chainport). The first call builds it with `python3 -m venv` and pip (about a minute). A
 * venv's scripts name its own path, so it is built in place; a marker written last tells a finished
 * one from an interrupted build, which is removed and built again. Throws, saying what to install,
 * when it cannot be built.
 */
export async function schemathesisBinary(): Promise<string> {
  const venv = path.join(defaultCacheDir(), 'schemathesis', SCHEMATHESIS_VERSION);
  const st = path.join(venv, 'bin', 'st');
  const ready = path.join(venv, '.chainport-ready');
  if (existsSync(ready)) return st;
  await rm(venv, { recursive: true, force: true });
  await mkdir(path.dirname(venv), { recursive: true });
  try {
    await run('python3', ['-m', 'venv', venv]);
    await run(path.join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', `schemathesis==${SCHEMATHESIS_VERSION}`], { timeout: 600_000 });
    const { stdout } = await run(st, ['--version']);
    if (!stdout.includes(SCHEMATHESIS_VERSION)) throw new Error(`the installed st says "${stdout.trim()}"`);
  } catch (err) {
    await rm(venv, { recursive: true, force: true });
    throw new Error(
      `Could not install schemathesis ${SCHEMATHESIS_VERSION} into ${venv}: ${(err as Error).message}. ` +
        'The conformance test needs python3 with the venv module (Debian: apt-get install python3-venv) and access to PyPI.',
      { cause: err },
    );
  }
  await writeFile(ready, `${SCHEMATHESIS_VERSION}\n`);
  return st;
}
