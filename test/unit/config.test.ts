import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

const KEY = Buffer.alloc(32, 7).toString('base64');

describe('loadConfig: settings that keep operational surfaces closed', () => {
  it('refuses a non-loopback HOST without CHAINPORT_METRICS_TOKEN, and accepts loopback without one', () => {
    assert.throws(() => loadConfig({ HOST: '0.0.0.0' }), (err: unknown) => err instanceof ConfigError && /CHAINPORT_METRICS_TOKEN is required/.test(err.message));
    assert.equal(loadConfig({ HOST: '0.0.0.0', CHAINPORT_METRICS_TOKEN: 'a-long-random-token' }).metricsToken, 'a-long-random-token');
    for (const host of ['127.0.0.1', 'localhost', '::1']) assert.equal(loadConfig({ HOST: host }).api.host, host);
  });

  it('requires CHAINPORT_SECRET_KEY when TEMPORAL_ADDRESS names a cluster', () => {
    assert.throws(() => loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233' }), (err: unknown) => err instanceof ConfigError && /CHAINPORT_SECRET_KEY is required/.test(err.message));
    assert.equal(loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233', CHAINPORT_SECRET_KEY: KEY }).secretKey, KEY);
  });

  it('binds worker and SDK metrics to 127.0.0.1 unless told otherwise, even when the API listens everywhere', () => {
    const config = loadConfig({ HOST: '0.0.0.0', CHAINPORT_METRICS_TOKEN: 'token', CHAINPORT_WORKER_METRICS_PORT: '9100', TEMPORAL_SDK_METRICS_ADDRESS: '9464' });
    assert.equal(config.workerMetricsHost, '127.0.0.1');
    assert.equal(config.sdkMetricsAddress, '127.0.0.1:9464');
    assert.equal(loadConfig({ TEMPORAL_SDK_METRICS_ADDRESS: '0.0.0.0:9464' }).sdkMetricsAddress, '0.0.0.0:9464');
  });
});
