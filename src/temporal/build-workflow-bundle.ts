// Child process of prebuiltWorkflowBundle: bundles the workflows (with the tracing interceptors when
// argv[3] is --traced) and writes the code to argv[2].
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH, workflowInterceptorModules } from './workflow-bundle.js';

const out = process.argv[2];
if (!out) throw new Error('usage: build-workflow-bundle.ts <output file> [--traced]');
const { code } = await bundleWorkflowCode({
  workflowsPath: WORKFLOWS_PATH,
  workflowInterceptorModules: workflowInterceptorModules(process.argv[3] === '--traced'),
  logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
});
writeFileSync(out, code);
