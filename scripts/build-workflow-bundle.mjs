// Part of `npm run build`: bundles the compiled workflow code (dist/workflows/index.js) once into
// dist/workflow-bundle.js, and once more with the tracing interceptors into dist/workflow-bundle-traced.js;
// a production worker loads the one its tracing setting asks for instead of bundling at start.
import { writeFileSync } from 'node:fs';
/* global URL -- a Node global; plain .mjs so the build needs no TypeScript loader */
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { SHIPPED_BUNDLE_NAMES, workflowInterceptorModules } from '../dist/temporal/workflow-bundle.js';

const workflowsPath = fileURLToPath(new URL('../dist/workflows/index.js', import.meta.url));
const quiet = () => undefined;
for (const [variant, name] of Object.entries(SHIPPED_BUNDLE_NAMES)) {
  const out = fileURLToPath(new URL(`../dist/${name}`, import.meta.url));
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    workflowInterceptorModules: workflowInterceptorModules(variant === 'traced'),
    logger: { trace: quiet, debug: quiet, info: quiet, log: quiet, warn: console.warn, error: console.error },
  });
  writeFileSync(out, code);
  console.log(`workflow bundle: ${out} (${Math.round(code.length / 1024)} KiB)`);
}
