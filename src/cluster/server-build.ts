// The Temporal server and its schema tool for `npm run cluster`, built from Go modules once per machine
// and cached beside the Temporal CLI (`<cache>/temporal-server/v<version>/`), with the PostgreSQL schema
// files of the same module copied next to them, so later starts need neither Go nor the module cache.
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { findOnPath, firstLine, isExecutable } from '../temporal/cli-source.js';
import { runLogged } from './run.js';

/** The server inside the pinned CLI 1.9.1: the embedded default and the cluster run the same server. */
export const TEMPORAL_SERVER_VERSION = '1.32.0';
/** Its go.mod asks for a newer Go than many machines have; `GOTOOLCHAIN` fetches it from the module proxy. */
const SERVER_TOOLCHAIN = 'go1.26.10';
/** Builds with an older Go (1.25+) when the toolchain cannot be fetched. */
export const FALLBACK_SERVER_VERSION = '1.30.4';

export interface ServerBinaries {
  version: string;
  /** `temporal-server` (go.temporal.io/server/cmd/server). */
  server: string;
  /** `temporal-sql-tool` (go.temporal.io/server/cmd/tools/sql). */
  sqlTool: string;
  /** `schema/postgresql/v12` of the same module: `temporal/versioned` and `visibility/versioned`. */
  postgresSchema: string;
}

function cached(cacheDir: string, version: string): ServerBinaries {
  const dir = path.join(cacheDir, 'temporal-server', `v${version}`);
  return { version, server: path.join(dir, 'temporal-server'), sqlTool: path.join(dir, 'temporal-sql-tool'), postgresSchema: path.join(dir, 'schema', 'postgresql', 'v12') };
}

function complete(b: ServerBinaries): boolean {
  return isExecutable(b.server) && isExecutable(b.sqlTool) && existsSync(path.join(b.postgresSchema, 'temporal', 'versioned'));
}

/**
 * The cached build of the pinned server, else the cached fallback, else builds the pinned one (about 5
 * minutes on 2 cores) and, if that fails, the fallback. Says what it does in one line per step; throws
 * with every reason and what to install when nothing works.
 */
export async function ensureTemporalServer(options: { cacheDir: string; log: (line: string) => void }): Promise<ServerBinaries> {
  const { cacheDir, log } = options;
  const pinned = cached(cacheDir, TEMPORAL_SERVER_VERSION);
  if (complete(pinned)) return pinned;
  const fallback = cached(cacheDir, FALLBACK_SERVER_VERSION);
  if (complete(fallback)) {
    log(`Temporal server: using the cached ${FALLBACK_SERVER_VERSION} build (${TEMPORAL_SERVER_VERSION} was not built on this machine)`);
    return fallback;
  }
  const go = findOnPath('go') ?? (isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) throw new Error(`Temporal server ${TEMPORAL_SERVER_VERSION} is not built on this machine and there is no Go toolchain to build it: install Go 1.25 or newer (https://go.dev/dl/) and run again.`);
  const reasons: string[] = [];
  for (const [target, toolchain] of [
    [pinned, SERVER_TOOLCHAIN],
    [fallback, 'local'],
  ] as const) {
    try {
      await build(go, target, toolchain, log);
      return target;
    } catch (err) {
      reasons.push(`${target.version}: ${firstLine(err)}`);
      log(`Temporal server: building ${target.version} failed (${firstLine(err)})`);
    }
  }
  throw new Error(`Could not build the Temporal server with ${go}: ${reasons.join('; ')}. The Go module proxy must be reachable (GOPROXY).`);
}

async function build(go: string, target: ServerBinaries, toolchain: string, log: (line: string) => void): Promise<void> {
  const dir = path.dirname(target.server);
  mkdirSync(path.dirname(dir), { recursive: true });
  // Built into a scratch folder and renamed into place: an interrupted build never looks complete.
  const scratch = mkdtempSync(`${dir}.partial-`);
  const env = { ...process.env, GOBIN: scratch, GOTOOLCHAIN: toolchain, CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false' };
  const module = `go.temporal.io/server@v${target.version}`;
  try {
    log(`Temporal server: building ${module} (server and temporal-sql-tool) with Go ${toolchain === 'local' ? 'of this machine' : toolchain}, once per machine; about 5 minutes on 2 cores…`);
    const started = Date.now();
    await runLogged(go, ['install', `go.temporal.io/server/cmd/server@v${target.version}`, `go.temporal.io/server/cmd/tools/sql@v${target.version}`], { env, log, label: 'still building' });
    const { stdout } = await runLogged(go, ['mod', 'download', '-json', module], { env, log, quiet: true });
    const moduleDir = (JSON.parse(stdout) as { Dir?: string }).Dir;
    if (!moduleDir) throw new Error(`go mod download did not say where ${module} is`);
    renameSync(path.join(scratch, 'server'), path.join(scratch, 'temporal-server'));
    renameSync(path.join(scratch, 'sql'), path.join(scratch, 'temporal-sql-tool'));
    const schema = path.join(scratch, 'schema', 'postgresql', 'v12');
    cpSync(path.join(moduleDir, 'schema', 'postgresql', 'v12'), schema, { recursive: true });
    // The module cache is read-only; the copy must not be, or nobody but root could replace it.
    makeWritable(schema);
    rmSync(dir, { recursive: true, force: true });
    renameSync(scratch, dir);
    log(`Temporal server: built ${target.version} in ${Math.round((Date.now() - started) / 1000)} s → ${dir}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function makeWritable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) makeWritable(file);
    else chmodSync(file, 0o644);
  }
}
