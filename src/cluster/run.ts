// Runs a command of the cluster's set-up (go, temporal-sql-tool, initdb) and keeps the user informed:
// a progress line every 15 s for long steps, the last lines of output when it fails.
import { spawn, type SpawnOptions } from 'node:child_process';
import path from 'node:path';

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  log: (line: string) => void;
  /** Progress line prefix every 15 s (`still building… 45 s`); none when omitted. */
  label?: string;
  /** Keep stdout to return it instead of echoing every 25th line (its last lines still name a failure). */
  quiet?: boolean;
  uid?: number;
  gid?: number;
  cwd?: string;
}

/** Resolves with stdout on exit 0; rejects with the exit status and the last lines of output otherwise. */
export async function runLogged(command: string, args: readonly string[], options: RunOptions): Promise<{ stdout: string }> {
  const spawnOptions: SpawnOptions = { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], cwd: options.cwd };
  if (options.uid !== undefined) Object.assign(spawnOptions, { uid: options.uid, gid: options.gid });
  const child = spawn(command, args, spawnOptions);
  const stdout: string[] = [];
  const tail: string[] = [];
  let lines = 0;
  const onLine = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      tail.push(line);
      if (tail.length > 8) tail.shift();
      if (!options.quiet && lines++ % 25 === 0) options.log(`  ${line}`);
    }
  };
  child.stdout!.on('data', (chunk: Buffer) => {
    if (options.quiet) stdout.push(chunk.toString());
    onLine(chunk);
  });
  child.stderr!.on('data', onLine);
  const started = Date.now();
  const ticker = options.label ? setInterval(() => options.log(`  ${options.label}… ${Math.round((Date.now() - started) / 1000)} s`), 15_000) : undefined;
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    if (code !== 0) throw new Error(`${path.basename(command)} exited ${code}: ${tail.join(' | ')}`);
    return { stdout: stdout.join('') };
  } finally {
    clearInterval(ticker);
  }
}
