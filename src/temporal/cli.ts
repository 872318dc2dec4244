import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The newest Temporal CLI tag whose go.mod has no `replace` directive, so `go install` can build it. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const GO_PACKAGE = `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`;

export class TemporalCliNotFound extends Error {
  override name = 'TemporalCliNotFound';
}

export interface ResolveOptions {
  /** TEMPORAL_CLI_PATH: used as is when set. */
  explicitPath?: string;
  /** Where built or downloaded binaries are kept between runs; one build per machine. */
  cacheDir?: string;
  log?: (line: string) => void;
}

/** Where this project caches the CLI: CHAINPORT_CACHE_DIR, else the user's cache folder. */
export function defaultCacheDir(): string {
  return process.env.CHAINPORT_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'chainport');
}

/**
 * Finds a `temporal` binary, in this order: TEMPORAL_CLI_PATH; `temporal` on PATH; the copy cached
 * here before; the SDK's download of the dev server (needs internet); `go install` (needs Go and the
 * module proxy). Throws TemporalCliNotFound saying what to install when every way fails.
 */
export async function resolveTemporalCli(options: ResolveOptions = {}): Promise<string> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const failures: string[] = [];

  if (options.explicitPath) {
    if (isExecutable(options.explicitPath)) return options.explicitPath;
    throw new TemporalCliNotFound(`TEMPORAL_CLI_PATH is ${options.explicitPath}, but no executable is there. Fix the path or unset it.`);
  }
  const onPath = findOnPath('temporal');
  if (onPath) return onPath;
  failures.push('no `temporal` on PATH');

  const built = path.join(cacheDir, 'temporal-cli', TEMPORAL_CLI_VERSION, 'temporal');
  if (isExecutable(built)) return built;
  const downloadDir = path.join(cacheDir, 'sdk-download');
  const downloaded = findDownloaded(downloadDir);
  if (downloaded) return downloaded;
  failures.push(`no cached copy in ${path.dirname(built)}`);

  try {
    return await downloadWithSdk(downloadDir, log);
  } catch (err) {
    failures.push(`SDK download failed (${firstLine(err)})`);
  }

  const go = findOnPath('go');
  if (!go) {
    failures.push('no Go toolchain on PATH to build it');
  } else {
    try {
      await goInstall(go, path.dirname(built), log);
      if (isExecutable(built)) return built;
      failures.push(`go install finished but ${built} is missing`);
    } catch (err) {
      failures.push(`go install failed (${firstLine(err)})`);
    }
  }
  throw new TemporalCliNotFound(
    `Cannot find or build the Temporal CLI: ${failures.join('; ')}.\n` +
      `Install it (https://docs.temporal.io/cli), or install Go and run \`npm run temporal:install\`, ` +
      `or set TEMPORAL_CLI_PATH, or point TEMPORAL_ADDRESS at an existing Temporal cluster.`,
  );
}

function isExecutable(file: string): boolean {
  try {
    return statSync(file).isFile() && (statSync(file).mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** The SDK keeps its download under a versioned file name; any executable `temporal*` there will do. */
function findDownloaded(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const found = readdirSync(dir).find((name) => name.startsWith('temporal') && isExecutable(path.join(dir, name)));
  return found && path.join(dir, found);
}

async function downloadWithSdk(downloadDir: string, log: (line: string) => void): Promise<string> {
  log('Temporal CLI: trying the SDK download of the dev server…');
  mkdirSync(downloadDir, { recursive: true });
  // The SDK only downloads as part of starting a server: start one briefly, then keep the binary.
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'cached-download', downloadDir } } });
  await env.teardown();
  const binary = findDownloaded(downloadDir);
  if (!binary) throw new Error(`the SDK started a server but left no binary in ${downloadDir}`);
  return binary;
}

async function goInstall(go: string, binDir: string, log: (line: string) => void): Promise<void> {
  mkdirSync(binDir, { recursive: true });
  log(`Temporal CLI: building ${GO_PACKAGE} with Go (once per machine; a few minutes on 2 cores)…`);
  const started = Date.now();
  const child = spawn(go, ['install', GO_PACKAGE], {
    env: { ...process.env, GOBIN: binDir, CGO_ENABLED: process.env.CGO_ENABLED ?? '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const onLine = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      output.push(line);
      if (output.length % 25 === 1) log(`  ${line}`);
    }
  };
  child.stdout.on('data', onLine);
  child.stderr.on('data', onLine);
  const ticker = setInterval(() => log(`  still building… ${Math.round((Date.now() - started) / 1000)} s`), 15_000);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    if (code !== 0) throw new Error(`exit ${code}: ${output.slice(-5).join(' | ')}`);
    log(`Temporal CLI: built in ${Math.round((Date.now() - started) / 1000)} s → ${binDir}/temporal`);
  } finally {
    clearInterval(ticker);
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}
