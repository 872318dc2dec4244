// `npm run bench` ends with the targets its report says were not met, found by walking the report.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unmetTargets } from '../../bench/targets.js';

describe('the targets a bench report did not meet', () => {
  it('are the figures with met: false and the false checks of every …targets object, by path', () => {
    const report = {
      embedded: { sync_p50_ms: 58 },
      embedded_targets: { cpu_ms_per_run_at_most_100: true, async_start_p50_at_most_30ms: false },
      sse: {
        token_latency_p50_ms: { value: 1, target_under: 50, met: true },
        fanout: { api_rss_peak_mb: { value: 341.5, target_under: 300, met: false }, lag_p95_ms: { value: 330, target_under: 1000, met: true } },
      },
      targets: { sse_fanout_api_rss_under_300mb: false, sse_token_p50_within_50ms: true },
    };
    assert.deepEqual(unmetTargets(report), ['embedded_targets.async_start_p50_at_most_30ms', 'sse.fanout.api_rss_peak_mb', 'targets.sse_fanout_api_rss_under_300mb']);
  });

  it('are none when every target holds, or the report has none', () => {
    assert.deepEqual(unmetTargets({ targets: { a: true }, x: { met: true, value: 1 } }), []);
    assert.deepEqual(unmetTargets({ chain: 'chain-3', load: { runs: 200 } }), []);
  });
});
