// Webhook figures for `npm run bench`: latency from a run's completion to the receiver's first
// attempt, and end-to-end throughput of runs that deliver a webhook to a fast receiver.
import type { TestApi } from '../test/helpers/api.js';
import { startWebhookReceiver } from '../test/helpers/webhook-receiver.js';
import { percentile, round, runPool } from './stats.js';

export async function benchWebhooks(api: TestApi, opts: { sequential: number; total: number; concurrency: number }) {
  const receiver = await startWebhookReceiver();
  try {
    const start = async () => {
      const res = await api.request('/api/v1/chains/chain-3/runs', { body: { input: {}, webhook: { url: receiver.url, secret: 'whsec_YmVuY2htYXJrLXNlY3JldC1iZW5jaG1hcmstc2VjcmV0' } } });
      if (res.status !== 202) throw new Error(`start with webhook answered ${res.status}: ${await res.text()}`);
      await res.body?.cancel();
    };
    // Latency: one run at a time; the payload's timestamp is the moment the run ended.
    const latencies: number[] = [];
    for (let i = 0; i < opts.sequential; i++) {
      const before = receiver.received.length;
      await start();
      const [first] = (await receiver.waitFor(before + 1, 30_000)).slice(before);
      latencies.push(first!.at - Date.parse(String(first!.json.timestamp)));
    }
    // Throughput: runs started 20 at a time; the clock stops when the last delivery arrives.
    const before = receiver.received.length;
    const loadStart = Date.now();
    await runPool(opts.total, opts.concurrency, start);
    const all = await receiver.waitFor(before + opts.total, 120_000);
    const wallMs = Math.max(...all.slice(before).map((r) => r.at)) - loadStart;
    return {
      completion_to_first_attempt_p50_ms: percentile(latencies, 50),
      completion_to_first_attempt_p95_ms: percentile(latencies, 95),
      delivered_runs_per_s: round(opts.total / (wallMs / 1000)),
    };
  } finally {
    await receiver.close();
  }
}
