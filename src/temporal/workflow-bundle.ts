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
const require = createRequire(import.meta.url);

/**
 * The workflow interceptor modules of a traced worker's bundle: Temporal's OpenTelemetry workflow
 * interceptors (a span for the workflow and for each activity or child it starts; spans leave the
 * sandbox through the `exporter` sink). An untraced bundle has none: no interceptor runs per workflow.
 */
export function workflowInterceptorModules(traced: boolean): string[] {
  return traced ? [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')] : [];
}

function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
}

/**
 * What the bundle is made of: the workflow sources (they import nothing outside their folder but
 * @temporalio packages), the workflow SDK's version and, when traced, the interceptor modules and
 * their package's version — a traced and an untraced worker never share a bundle file.
 */
function bundleHash(traced: boolean): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(WORKFLOWS_DIR).filter((name) => name.endsWith('.ts')).sort()) {
    hash.update(file).update(readFileSync(path.join(WORKFLOWS_DIR, file)));
  }
  hash.update(packageVersion('@temporalio/workflow'));
  if (traced) hash.update(`interceptors:${workflowInterceptorModules(true).join(',')}@${packageVersion('@temporalio/interceptors-opentelemetry')}`);
  return hash.digest('hex').slice(0, 16);
}

/**
 * The bundles `npm run build` makes once at build time beside the compiled code (dist/workflow-bundle.js,
 * and dist/workflow-bundle-traced.js with the tracing interceptors): a production worker loads one and
 * never bundles, so it needs neither tsx nor a writable folder.
 */
export const SHIPPED_BUNDLE_NAMES = { plain: 'workflow-bundle.js', traced: 'workflow-bundle-traced.js' } as const;
const RUNNING_COMPILED = import.meta.url.endsWith('.js');

/**
 * The path of the bundle of the current workflow code, with the tracing interceptors when `traced`:
 * the build's own when running compiled, otherwise the one under `dir`, built first when missing.
 */
export async function prebuiltWorkflowBundle(dir: string, { traced }: { traced: boolean }): Promise<string> {
  const shipped = fileURLToPath(new URL(`../${SHIPPED_BUNDLE_NAMES[traced ? 'traced' : 'plain']}`, import.meta.url));
  if (RUNNING_COMPILED && existsSync(shipped)) return shipped;
  const target = path.join(dir, `workflow-bundle-${bundleHash(traced)}.js`);
  if (existsSync(target)) return target;
  mkdirSync(dir, { recursive: true });
  const partial = `${target}.${process.pid}.partial`;
  await run(process.execPath, ['--import', 'tsx', BUILDER, partial, ...(traced ? ['--traced'] : [])], { timeout: 120_000 });
  // A rename is atomic: a worker never loads a half-written bundle.
  renameSync(partial, target);
  return target;
}
