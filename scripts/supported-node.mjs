// Which Node.js runs Chainport. Node 20 reached end of life in April 2026 and Chainport's dependencies
// need 22.12 or newer, so on an older Node the official Node 24 binary is provisioned from the npm
// registry (the `node-<platform>-<arch>` packages), pinned by version and sha512, into the cache folder
// once per machine. Plain JavaScript, so it runs (and explains itself) on any old Node.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const NODE_VERSION = '24.22.3';
/** dist.integrity of `node-<platform>-<arch>@24.22.3` on the npm registry. */
const PINNED = {
  'linux-x64': 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==',
  'linux-arm64': 'sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==',
};

export function isSupported(version = process.versions.node) {
  const [major, minor] = version.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 12);
}

function cacheDir() {
  return process.env.CHAINPORT_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'chainport');
}

/**
 * The path of a Node.js that Chainport supports: this one when it is 22.12 or newer, else the
 * provisioned Node 24 (fetched once). Exits with a message naming what to do when neither is possible.
 */
export function supportedNode() {
  if (isSupported()) return process.execPath;
  const target = path.join(cacheDir(), 'node', `v${NODE_VERSION}`, 'bin', 'node');
  if (!existsSync(target)) provision(target);
  return target;
}

function fail(why) {
  console.error(
    `Chainport needs Node.js 22.12 or newer (24 LTS recommended); this is ${process.version} (end of life), and ${why}.\n` +
      'Install Node 24 (`nvm install` reads .nvmrc) and run the command again.',
  );
  process.exit(1);
}

function provision(target) {
  const key = `${process.platform}-${process.arch}`;
  const integrity = PINNED[key];
  if (!integrity) fail(`no Node ${NODE_VERSION} package is pinned for ${key}`);
  const pkg = `node-${key}@${NODE_VERSION}`;
  console.error(`Node ${process.version} is end of life: fetching Node ${NODE_VERSION} (${pkg} from the npm registry, sha512 pinned) into ${path.dirname(path.dirname(target))}…`);
  const folder = path.dirname(path.dirname(target));
  mkdirSync(path.dirname(folder), { recursive: true });
  const work = mkdtempSync(`${folder}.partial-`);
  try {
    // npm_execpath is npm's own script when an npm command runs us; `npm` on PATH otherwise.
    const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
    const packed = spawnSync(npm[0], [...npm.slice(1), 'pack', pkg, '--pack-destination', work, '--silent'], { encoding: 'utf8', shell: npm.length === 1 && process.platform === 'win32' });
    if (packed.status !== 0) fail(`\`npm pack ${pkg}\` failed: ${(packed.stderr || packed.error?.message || '').trim().split('\n').at(-1)}`);
    const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
    if (!tarball) fail(`\`npm pack ${pkg}\` left no tarball`);
    const actual = `sha512-${createHash('sha512').update(readFileSync(path.join(work, tarball))).digest('base64')}`;
    if (actual !== integrity) fail(`${tarball} has ${actual}, not the pinned ${integrity}: refused`);
    mkdirSync(path.join(work, 'node', 'bin'), { recursive: true });
    const untar = spawnSync('tar', ['-xzf', path.join(work, tarball), '-C', path.join(work, 'node'), '--strip-components=1', 'package/bin/node'], { encoding: 'utf8' });
    if (untar.status !== 0) fail(`unpacking ${tarball} failed: ${untar.stderr.trim()}`);
    // One rename: a half-unpacked Node is never found at the target.
    renameSync(path.join(work, 'node'), folder);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.error(`Node ${NODE_VERSION} ready: ${target}`);
}

// `node scripts/supported-node.mjs` prints that Node's path (provisioning it first if need be), for
// scripts/exec-node.sh to exec.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(supportedNode());
}
