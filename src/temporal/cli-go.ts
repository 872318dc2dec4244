// The last resort: build the Temporal CLI from source with Go. CLI tags after 1.5.1 carry a `replace`
// directive in their go.mod, which `go install pkg@version` refuses, so this builds 1.5.1 (Server
// 1.29.1): older than the pinned CLI, about 6 minutes on 2 cores, once per machine.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { cachedCliPath, findOnPath, firstLine, isExecutable, TEMPORAL_CLI_VERSION, type CliSource } from './cli-source.js';

export const GO_BUILDABLE_CLI_VERSION = '1.5.1';
const GO_PACKAGE = `github.com/temporalio/cli/cmd/temporal@v${GO_BUILDABLE_CLI_VERSION}`;

export function goInstallSource(options: { cacheDir: string; log: (line: string) => void }): CliSource {
  const name = `go install ${GO_BUILDABLE_CLI_VERSION} (Server 1.29.1; older than ${TEMPORAL_CLI_VERSION}: no source of ${TEMPORAL_CLI_VERSION} answered)`;
  return {
    name,
    async find() {
      const binary = cachedCliPath(options.cacheDir, GO_BUILDABLE_CLI_VERSION);
      if (isExecutable(binary)) return { binary, note: `cached build of ${GO_BUILDABLE_CLI_VERSION}` };
      const go = findOnPath('go');
      if (!go) return { skipped: 'no Go toolchain on PATH to build it' };
      try {
        await goInstall(go, path.dirname(binary), options.log);
      } catch (err) {
        return { skipped: `failed (${firstLine(err)})` };
      }
      if (!isExecutable(binary)) return { skipped: `go install finished but ${binary} is missing` };
      return { binary, note: `built ${GO_BUILDABLE_CLI_VERSION} from source, cached` };
    },
  };
}

async function goInstall(go: string, binDir: string, log: (line: string) => void): Promise<void> {
  mkdirSync(binDir, { recursive: true });
  log(`Temporal CLI: building ${GO_PACKAGE} with Go (once per machine; about 6 minutes on 2 cores)…`);
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
