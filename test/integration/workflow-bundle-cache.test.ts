import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { prebuiltWorkflowBundle } from '../../src/temporal/workflow-bundle.js';

describe('the cached workflow bundle', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'chainport-bundles-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is a different file with the tracing interceptors than without, each built once and then reused', async () => {
    const plain = await prebuiltWorkflowBundle(dir, { traced: false });
    const traced = await prebuiltWorkflowBundle(dir, { traced: true });
    assert.notEqual(plain, traced, 'the interceptors are part of the cache key');
    assert.doesNotMatch(readFileSync(plain, 'utf8'), /OpenTelemetryInboundInterceptor/);
    assert.match(readFileSync(traced, 'utf8'), /OpenTelemetryInboundInterceptor/);
    const built = statSync(traced).mtimeMs;
    assert.equal(await prebuiltWorkflowBundle(dir, { traced: true }), traced);
    assert.equal(statSync(traced).mtimeMs, built, 'not rebuilt');
  });
});
