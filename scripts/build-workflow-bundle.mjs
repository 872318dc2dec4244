// Part of `npm run build`: bundles the compiled workflow code (dist/workflows/index.js) once into
// dist/workflow-bundle.js, which a production worker loads instead of bundling at start.
import { writeFileSync } from 'node:fs';
/* global URL -- a Node global; plain .mjs so the build needs no TypeScript loader */
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';

const workflowsPath = fileURLToPath(new URL('../dist/workflows/index.js', import.meta.url));
const out = fileURLToPath(new URL('../dist/workflow-bundle.js', import.meta.url));
const quiet = () => undefined;
const { code } = await bundleWorkflowCode({ workflowsPath, logger: { trace: quiet, debug: quiet, info: quiet, log: quiet, warn: console.warn, error: console.error } });
writeFileSync(out, code);
console.log(`workflow bundle: ${out} (${Math.round(code.length / 1024)} KiB)`);
