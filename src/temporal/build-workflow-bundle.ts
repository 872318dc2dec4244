// Child process of prebuiltWorkflowBundle: bundles the workflows and writes the code to argv[2].
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH } from './workflow-bundle.js';

const out = process.argv[2];
if (!out) throw new Error('usage: build-workflow-bundle.ts <output file>');
const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} } });
writeFileSync(out, code);
