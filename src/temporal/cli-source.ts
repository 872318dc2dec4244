import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * The Temporal CLI every part of Chainport runs: `npm start`'s embedded server, the tests, CI and the
 * bench. 1.9.1 carries Temporal Server 1.32.0, the version the production topology builds too.
 */
export const TEMPORAL_CLI_VERSION = '1.9.1';

const run = promisify(execFile);

/** What one way of getting the CLI found: a binary, or why the finder moves on to the next way. */
export type SourceResult = { binary: string; note: string } | { skipped: string };

/** One way of getting the CLI; `find` never throws, it says why it gave up instead. */
export interface CliSource {
  name: string;
  find(): Promise<SourceResult>;
}

/** Where the CLI of `version` is cached: one folder per version, so versions never overwrite each other. */
export function cachedCliPath(cacheDir: string, version: string): string {
  return path.join(cacheDir, 'temporal-cli', `v${version}`, 'temporal');
}

/** The version a `temporal` binary reports (`temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)`), if any. */
export async function cliVersion(binary: string): Promise<string | undefined> {
  try {
    const { stdout } = await run(binary, ['--version'], { timeout: 30_000 });
    return /temporal version (\d+\.\d+\.\d+)/.exec(stdout)?.[1];
  } catch {
    return undefined;
  }
}

/** Orders dotted numeric versions: negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

export function isExecutable(file: string): boolean {
  try {
    const info = statSync(file);
    return info.isFile() && (info.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}
