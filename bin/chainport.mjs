#!/usr/bin/env node
// `chainport`: the CLI is TypeScript, run through tsx as the service is (src/cli/main.ts), on a
// supported Node (scripts/supported-node.mjs): on an end-of-life Node it re-runs itself on Node 24.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { supportedNode } from '../scripts/supported-node.mjs';

const node = supportedNode();
if (node !== process.execPath) {
  const { status, signal } = spawnSync(node, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(status ?? (signal ? 128 : 1));
}
const { register } = await import('tsx/esm/api');
register();
await import('../src/cli/main.ts');
