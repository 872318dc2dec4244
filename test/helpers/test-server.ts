// The Temporal time-skipping test server (the Java SDK's io.temporal:temporal-test-server) for the suites
// that test workflow clocks. The SDK downloads a native build from temporal.download, which is out of
// reach offline; Maven Central is not, so Maven fetches the jar and its runtime dependencies once per
// machine into the cache (checksums checked), and a wrapper script runs them on the machine's JDK.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout } from 'node:timers/promises';
import type { EphemeralServerExecutable } from '@temporalio/testing';
import { findOnPath, firstLine, isExecutable } from '../../src/temporal/cli-source.js';
import { defaultCacheDir } from '../../src/temporal/cli.js';
import { runLogged } from '../../src/cluster/run.js';
import { freePort, portInUse } from '../../src/cluster/ports.js';

/** The test server release the time-skipping suites run; any release from Maven Central works the same way. */
export const TEST_SERVER_VERSION = '1.38.0';

const ARTIFACTS = [
  { groupId: 'io.temporal', artifactId: 'temporal-test-server', version: TEST_SERVER_VERSION },
  // The server logs through slf4j; without a binding slf4j prints a warning on every start.
  { groupId: 'org.slf4j', artifactId: 'slf4j-nop', version: '1.7.36' },
];
// Pinned, so every machine runs the same plugin whatever Maven's own defaults are.
const COPY_DEPENDENCIES = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies';
// C1 only and the serial collector: the server starts in about half the time, which matters because the
// SDK gives it 5 s to answer; a test server's handful of workflows needs neither C2 nor a parallel GC.
const JVM_FLAGS = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];
const MAIN_CLASS = 'io.temporal.testserver.TestServer';

/** The wrapper of `version` in the cache: the jars sit beside it in lib/, the class-data archive in classes.jsa. */
export function cachedTestServerPath(cacheDir: string, version = TEST_SERVER_VERSION): string {
  return path.join(cacheDir, 'temporal-test-server', version, 'temporal-test-server');
}

/**
 * How to run the time-skipping test server, for TestWorkflowEnvironment.createTimeSkipping: the wrapper
 * cached here before; else one fetched now with Maven (needs `java` and `mvn` on PATH, and Maven Central);
 * else the SDK's own download, which needs temporal.download and says so when it fails. One line per way
 * tried.
 */
export async function resolveTestServer(options: { cacheDir?: string; log?: (line: string) => void } = {}): Promise<EphemeralServerExecutable> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const wrapper = cachedTestServerPath(cacheDir);
  const java = findOnPath('java');
  const mvn = findOnPath('mvn');
  let skipped: string;
  if (!java) skipped = 'no `java` on PATH to run the jar (install a JDK, 11 or newer)';
  else if (isExecutable(wrapper)) {
    log(`Temporal test server: cached ${TEST_SERVER_VERSION} (${wrapper})`);
    return { type: 'existing-path', path: wrapper };
  } else if (!mvn) skipped = 'no `mvn` on PATH to fetch the jar from Maven Central (install Maven)';
  else {
    try {
      await fetchWithMaven(mvn, wrapper, log);
      return { type: 'existing-path', path: wrapper };
    } catch (err) {
      skipped = `fetching with Maven failed (${firstLine(err)})`;
    }
  }
  const downloadDir = path.join(cacheDir, 'temporal-test-server', 'sdk-download');
  log(`Temporal test server: ${skipped}; the SDK will download its build into ${downloadDir} instead, which needs https://temporal.download`);
  return { type: 'cached-download', downloadDir };
}

/**
 * Copies the artifacts and their runtime dependencies into a fresh folder, then moves lib/ and the
 * wrapper into place (the wrapper last, so a half-finished fetch is never taken for a cached one).
 */
async function fetchWithMaven(mvn: string, wrapper: string, log: (line: string) => void): Promise<void> {
  const versionDir = path.dirname(wrapper);
  mkdirSync(versionDir, { recursive: true });
  const work = mkdtempSync(path.join(versionDir, '.fetch-'));
  try {
    log(`Temporal test server: fetching io.temporal:temporal-test-server:${TEST_SERVER_VERSION} and its dependencies from Maven Central (once per machine)…`);
    const started = Date.now();
    writeFileSync(path.join(work, 'pom.xml'), pom());
    // -C: a jar whose checksum differs from Central's fails the fetch instead of warning.
    await runLogged(mvn, ['-B', '-C', '-f', path.join(work, 'pom.xml'), COPY_DEPENDENCIES, '-DincludeScope=runtime', `-DoutputDirectory=${path.join(work, 'lib')}`], { log, quiet: true, label: 'still fetching' });
    const jars = readdirSync(path.join(work, 'lib'));
    const megabytes = jars.reduce((sum, jar) => sum + statSync(path.join(work, 'lib', jar)).size, 0) / 1e6;
    log(`Temporal test server: ${jars.length} jars (${megabytes.toFixed(0)} MB) in ${Math.round((Date.now() - started) / 1000)} s`);

    const lib = path.join(versionDir, 'lib');
    rmSync(lib, { recursive: true, force: true });
    renameSync(path.join(work, 'lib'), lib);
    const archive = path.join(versionDir, 'classes.jsa');
    await writeClassArchive(lib, archive).then(
      () => log('Temporal test server: wrote a class-data archive, so the JVM starts in about half the time'),
      (err: unknown) => log(`Temporal test server: no class-data archive (${firstLine(err)}); the server starts without one`),
    );
    writeFileSync(path.join(work, 'wrapper'), wrapperScript(lib, archive), { mode: 0o755 });
    renameSync(path.join(work, 'wrapper'), wrapper);
    log(`Temporal test server: ready → ${wrapper}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function pom(): string {
  const dependencies = ARTIFACTS.map((a) => `<dependency><groupId>${a.groupId}</groupId><artifactId>${a.artifactId}</artifactId><version>${a.version}</version></dependency>`);
  return [
    '<project xmlns="http://maven.apache.org/POM/4.0.0">',
    '  <modelVersion>4.0.0</modelVersion>',
    '  <groupId>chainport</groupId><artifactId>temporal-test-server-fetch</artifactId><version>0</version>',
    `  <dependencies>${dependencies.join('')}</dependencies>`,
    '</project>',
    '',
  ].join('\n');
}

/**
 * Starts the server once with -XX:ArchiveClassesAtExit and stops it once it listens: the JVM writes the
 * classes it loaded into an archive that later starts map instead of parsing ~40 jars again.
 */
async function writeClassArchive(lib: string, archive: string): Promise<void> {
  const port = await freePort();
  const child = spawn('java', [...JVM_FLAGS, `-XX:ArchiveClassesAtExit=${archive}`, '-cp', `${lib}/*`, MAIN_CLASS, String(port)], { stdio: 'ignore' });
  let exit: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('error', (err) => resolve(void (exit = err.message)));
    child.once('exit', (code) => resolve(void (exit = `exit ${code}`)));
  });
  try {
    const deadline = Date.now() + 60_000;
    while (!(await portInUse(port))) {
      if (exit !== undefined) throw new Error(`java ended before it listened (${exit})`);
      if (Date.now() > deadline) throw new Error(`java did not listen on port ${port} within 60 s`);
      await setTimeout(100);
    }
  } finally {
    // SIGTERM runs the JVM's shutdown, which writes the archive.
    child.kill('SIGTERM');
    await exited;
  }
  statSync(archive);
}

function wrapperScript(lib: string, archive: string): string {
  return [
    '#!/bin/sh',
    `# io.temporal:temporal-test-server ${TEST_SERVER_VERSION} from Maven Central on this machine's JDK, written by`,
    '# test/helpers/test-server.ts. Arguments as the SDK passes them: <port> [--enable-time-skipping].',
    '# The class-data archive is used when it matches this JDK and ignored (without a word) when not.',
    `exec java ${JVM_FLAGS.join(' ')} -XX:SharedArchiveFile=${shellQuote(archive)} -Xshare:auto -Xlog:cds=off -Xlog:cds+dynamic=off -cp ${shellQuote(`${lib}/*`)} ${MAIN_CLASS} "$@"`,
    '',
  ].join('\n');
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
