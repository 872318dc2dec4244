// Token latency with the API and the worker apart, as a cluster runs them: two API processes and a
// worker process, all with REDIS_URL, so agents publish their output to Redis and the API that serves
// a stream reads it from there. Streams alternate between the two APIs.
import { randomUUID } from 'node:crypto';
import { testConfig, TEST_SECRET_KEY } from '../test/helpers/engine.js';
import { startTestRedis } from '../test/helpers/redis.js';
import { startWorkerProcess } from '../test/helpers/worker-process.js';
import { startApiProcess } from './api-process.js';
import { tokenLatency } from './sse.js';

export async function tokenLatencyScaledOut(temporalAddress: string, chainsDir: string, runs: number): Promise<{ all: number[]; first: number[] }> {
  const redis = await startTestRedis();
  const stops: Array<() => Promise<void>> = [() => redis.stop()];
  try {
    const taskQueue = `bench-scaled-out-${randomUUID()}`;
    const worker = await startWorkerProcess({ address: temporalAddress, taskQueue, env: { REDIS_URL: redis.url, CHAINPORT_CHAINS_DIR: chainsDir, CHAINPORT_SECRET_KEY: TEST_SECRET_KEY } });
    stops.push(() => worker.stop());
    const config = testConfig(temporalAddress, { TEMPORAL_TASK_QUEUE: taskQueue });
    const apis = [];
    for (let i = 0; i < 2; i++) {
      const api = await startApiProcess(config, chainsDir, { REDIS_URL: redis.url });
      stops.push(() => api.stop());
      apis.push(api);
    }
    const all: number[] = [];
    const first: number[] = [];
    for (let i = 0; i < runs; i++) {
      const lags = await tokenLatency(apis[i % 2]!, 1);
      all.push(...lags.all);
      first.push(...lags.first);
    }
    return { all, first };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}
