import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { isAgentFailureDetails, isDeliveryAttempt } from '../../src/workflows/failure-details.js';
import { agentFailureDetailsSchema, deliveryAttemptSchema } from '../../src/records/schemas.js';

const SRC = path.resolve(import.meta.dirname, '../../src');

/** Every module the workflow bundle evaluates: value imports (not `import type`) reachable from its entry. */
function bundledModules(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const source = readFileSync(file, 'utf8');
    const specifiers = [...source.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]!);
    seen.set(file, specifiers);
    for (const spec of specifiers) if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
  };
  visit(entry);
  return seen;
}

describe('the workflow bundle', () => {
  it('keeps zod out: the sandbox evaluates every module again for each run', () => {
    const modules = bundledModules(path.join(SRC, 'workflows/index.ts'));
    assert.ok(modules.has(path.join(SRC, 'workflows/chain.ts')));
    for (const [file, specifiers] of modules) assert.ok(!specifiers.includes('zod'), `${path.relative(SRC, file)} imports zod`);
  });

  const samples: unknown[] = [
    { attempt: 2, cost: 0.01 },
    { attempt: 1, cost: 0, extra: true },
    { attempt: 1.5, cost: 0 },
    { attempt: 1, cost: Number.NaN },
    { attempt: 1, cost: '0.1' },
    { attempt: 1, at: '2026-12-03T10:00:00Z', status_code: 500, error: null, duration_ms: 12 },
    { attempt: 1, at: '2026-12-03T10:00:00Z', status_code: null, error: 'refused', duration_ms: 3 },
    { attempt: 1, at: '2026-12-03T10:00:00Z', status_code: 200.5, error: null, duration_ms: 3 },
    { attempt: 1, at: 5, status_code: null, error: null, duration_ms: 3 },
    null,
    [],
    'details',
  ];

  it('reads failure details with guards that accept exactly what the schemas accept', () => {
    for (const sample of samples) {
      assert.equal(isAgentFailureDetails(sample), agentFailureDetailsSchema.safeParse(sample).success, `agent failure details ${JSON.stringify(sample)}`);
      assert.equal(isDeliveryAttempt(sample), deliveryAttemptSchema.safeParse(sample).success, `delivery attempt ${JSON.stringify(sample)}`);
    }
  });
});
