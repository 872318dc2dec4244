import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { startTracing } from '../../src/telemetry/tracing.js';

const require = createRequire(import.meta.url);

/** The OpenTelemetry and Temporal-interceptor packages this process has loaded so far. */
function tracingPackagesLoaded(): string[] {
  const packages = Object.keys(require.cache).map((file) => /node_modules\/(@[^/]+\/[^/]+)/.exec(file)?.[1] ?? '');
  return [...new Set(packages.filter((name) => name.startsWith('@opentelemetry/') || name === '@temporalio/interceptors-opentelemetry'))];
}

describe('tracing off', () => {
  it('costs nothing: the worker, the API and startTracing load no SDK, exporter or interceptor without an OTLP endpoint', async () => {
    await import('../../src/worker.js');
    await import('../../src/api/server.js');
    assert.equal(await startTracing(loadConfig({}), 'chainport'), undefined);
    // The API alone: spans the code makes itself are no-ops without a registered provider.
    assert.deepEqual(tracingPackagesLoaded(), ['@opentelemetry/api']);
  });
});
