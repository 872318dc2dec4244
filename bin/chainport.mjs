#!/usr/bin/env node
// `chainport`: the CLI is TypeScript, run through tsx as the service is (src/cli/main.ts).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
