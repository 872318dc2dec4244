// The workflow bundle, built once per version of the workflow code in a short-lived child process.
// Bundling loads webpack and a compiler into the process that runs it and keeps ~125 MB resident
// afterwards; building in a child keeps that out of the long-lived worker, and the content-addressed
// file lets every later start (and every worker on the machine) skip the build.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** The workflow code's entry: every workflow type the worker runs. */
export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
const WORKFLOWS_DIR = path.dirname(WORKFLOWS_PATH);
const BUILDER = fileURLToPath(new URL('./build-workflow-bundle.ts', import.meta.url));

/**
 * What the bundle is made of: the workflow sources (they import nothing outside their folder but
 * @temporalio packages) and the workflow SDK's version.
 */
function bundleHash(): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(WORKFLOWS_DIR).filter((name) => name.endsWith('.ts')).sort()) {
    hash.update(file).update(readFileSync(path.join(WORKFLOWS_DIR, file)));
  }
  const sdk = createRequire(import.meta.url).resolve('@temporalio/workflow/package.json');
  hash.update((JSON.parse(readFileSync(sdk, 'utf8')) as { version: string }).version);
  return hash.digest('hex').slice(0, 16);
}

/**
 * The bundle `npm run build` makes once at build time beside the compiled code (dist/workflow-bundle.js):
 * a production worker loads it and never bundles, so it needs neither tsx nor a writable folder.
 */
const SHIPPED_BUNDLE = fileURLToPath(new URL('../workflow-bundle.js', import.meta.url));
const RUNNING_COMPILED = import.meta.url.endsWith('.js');

/**
 * The path of the bundle of the current workflow code: the build's own when running compiled,
 * otherwise the one under `dir`, built first when missing.
 */
export async function prebuiltWorkflowBundle(dir: string): Promise<string> {
  if (RUNNING_COMPILED && existsSync(SHIPPED_BUNDLE)) return SHIPPED_BUNDLE;
  const target = path.join(dir, `workflow-bundle-${bundleHash()}.js`);
  if (existsSync(target)) return target;
  mkdirSync(dir, { recursive: true });
  const partial = `${target}.${process.pid}.partial`;
  await run(process.execPath, ['--import', 'tsx', BUILDER, partial], { timeout: 120_000 });
  // A rename is atomic: a worker never loads a half-written bundle.
  renameSync(partial, target);
  return target;
}
