import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CALLERS, startTestApi, type TestApi } from '../helpers/api.js';
import { Started } from '../helpers/started.js';
import { eventually } from '../helpers/runs.js';
import { TEST_SECRET_KEY, startEngine, type TestEngine } from '../helpers/engine.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { agentTexts, assertExactOutput, openStream, type ReceivedEvent } from '../helpers/sse-client.js';
import { startTestTemporal, type TestTemporal } from '../helpers/temporal.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';
import { Redis } from 'ioredis';
import { createLogger } from '../../src/logger.js';
import { tokenChunksDropped } from '../../src/metrics.js';
import type { TokenChunk } from '../../src/tokens/channel.js';
import { RedisTokenChannel, tokenChannelName } from '../../src/tokens/redis.js';

// The push path across processes: two API instances and worker processes, all with REDIS_URL, so
// agents publish their output to Redis and each API's reader subscribes to the runs it streams.
// `slow`'s plodder emits 20 words 200 ms apart; the workers' long heartbeat throttle (capped by the
// SDK at 80% of the 2 s heartbeat_timeout: 1.6 s) leaves the heartbeat path a few chunks at most.

const PLODDER_WORDS = Array.from({ length: 20 }, (_, i) => `w${i + 1}`);
const PLODDER_OUTPUT = PLODDER_WORDS.join(' ');
/** Far more chunks than 4 s of heartbeats 1.6 s apart could bring. */
const PUSHED_CHUNKS = 10;

const headers = { authorization: `Bearer ${CALLERS.alice}` };
const lifecycle = (events: readonly ReceivedEvent[]) => events.filter((e) => e.event !== 'agent.output').map(({ id, event, data }) => ({ id, event, data }));

void describe('SSE with the Redis token channel: two API instances and a separate worker', () => {
  const started = new Started();
  let redis: TestRedis;
  let temporal: TestTemporal;
  const apis: TestApi[] = [];
  const taskQueue = `push-${randomUUID()}`;
  const startWorker = () =>
    startWorkerProcess({
      address: temporal.address,
      taskQueue,
      env: { REDIS_URL: redis.url, CHAINPORT_SECRET_KEY: TEST_SECRET_KEY, CHAINPORT_HEARTBEAT_THROTTLE: '5s' },
    });

  before(() =>
    started.setup(async () => {
      redis = started.add('redis', await startTestRedis(), (r) => r.stop());
      temporal = started.add('temporal', await startTestTemporal(), (t) => t.stop());
      for (const name of ['api a', 'api b']) {
        // No in-process worker: agents run only in the worker processes.
        const engine = started.add(`${name} engine`, await startEngine(temporal.address, { TEMPORAL_TASK_QUEUE: taskQueue, REDIS_URL: redis.url }), (e: TestEngine) => e.stop());
        apis.push(started.add(name, await startTestApi(engine), (a) => a.close(1_000)));
      }
    }),
  );
  after(() => started.stopAll());

  void it("streams the run's tokens through Redis on both API instances", async () => {
    const worker = await startWorker();
    try {
      const res = await apis[0]!.request('/api/v1/chains/slow/runs', { body: { input: {} } });
      assert.equal(res.status, 202);
      const { run_id: runId } = (await res.json()) as { run_id: string };
      const streams = await Promise.all(apis.map((api) => openStream(`${api.url}/api/v1/runs/${runId}/events`, { headers })));
      await Promise.all(streams.map((stream) => stream.done));
      for (const [i, stream] of streams.entries()) {
        const chunks = assertExactOutput(stream.events, 1, PLODDER_OUTPUT);
        assert.ok(chunks.length >= PUSHED_CHUNKS, `API ${i} got the plodder's output in ${chunks.length} chunks`);
        assert.equal(stream.events.at(-1)!.event, 'run.completed');
      }
    } finally {
      await worker.stop();
    }
  });

  void it('gives the client every chunk of the final attempt exactly once when the worker dies mid-stream, and resumes exactly from any of them', async () => {
    const first: WorkerProcess = started.add('first worker', await startWorker(), (w) => w.stop());
    const stream = await openStream(`${apis[0]!.url}/api/v1/chains/slow/stream`, { body: {}, headers });
    await stream.waitFor((e) => e.event === 'agent.output' && e.data.index === 1 && (e.data.offset as number) > 0, 30_000);
    await first.kill('SIGKILL');
    started.add('second worker', await startWorker(), (w) => w.stop());
    await stream.done;

    const retry = stream.events.find((e) => e.event === 'agent.retrying' && e.data.index === 1);
    assert.ok(retry, 'the lost attempt is announced, so the client discards its partial output');
    assert.match(retry.data.error as string, /^activity Heartbeat timeout$/, 'agent.retrying carries the real failure, read from Temporal');
    const chunks = assertExactOutput(stream.events, 1, PLODDER_OUTPUT);
    assert.ok(chunks.length >= PUSHED_CHUNKS, `the retried attempt came through the push path (${chunks.length} chunks)`);
    const ids = stream.events.map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length, 'no event id twice');
    assert.equal(stream.events.at(-1)!.data.output, `done after ${PLODDER_OUTPUT}`);

    // Resume on the other instance from a chunk in the middle of the final attempt.
    const middle = chunks[Math.floor(chunks.length / 2)]!;
    const runId = stream.events[0]!.data.run_id as string;
    const resumed = await openStream(`${apis[1]!.url}/api/v1/runs/${runId}/events`, { headers, lastEventId: middle.id });
    await resumed.done;
    const end = (middle.data.offset as number) + (middle.data.chunk as string).length;
    assert.equal(agentTexts(resumed.events).get(1), PLODDER_OUTPUT.slice(end), 'the output continues right after the resume point');
    assert.deepEqual(lifecycle(resumed.events), lifecycle(stream.events.slice(stream.events.indexOf(middle) + 1)));
  });

  void it("delivers a run's chunks to that run's subscribers only, and drops and counts malformed messages", async () => {
    const log = createLogger({ logLevel: 'silent' }, 'test');
    const [publisher, subscriber] = [await RedisTokenChannel.connect(redis.url, log), await RedisTokenChannel.connect(redis.url, log)];
    const raw = new Redis(redis.url);
    const subscribers = async (runId: string) => ((await raw.pubsub('NUMSUB', tokenChannelName(runId))) as [string, number])[1];
    const malformed = async () => (await tokenChunksDropped.get()).values.find((v) => v.labels.reason === 'malformed')?.value ?? 0;
    try {
      const got: TokenChunk[] = [];
      const unsubscribe = subscriber.subscribe('run-a', (chunk) => got.push(chunk));
      subscriber.subscribe('run-b', () => assert.fail('run-b has no chunks'));
      await eventually(async () => ((await subscribers('run-a')) === 1 ? true : undefined), 5_000, 'the subscription to reach Redis');
      const dropped = await malformed();
      await raw.publish(tokenChannelName('run-a'), 'not json');
      await raw.publish(tokenChannelName('run-a'), JSON.stringify({ runId: 'run-a', activityId: '1', attempt: 0, offset: 0, text: 'x' }));
      const chunk = { runId: 'run-a', activityId: '1', attempt: 1, offset: 0, text: 'hello' };
      publisher.publish(chunk);
      await eventually(async () => (got.length > 0 ? true : undefined), 5_000, 'the chunk');
      assert.deepEqual(got, [chunk], 'Redis delivers in order: the malformed messages came first and were dropped');
      assert.equal(await malformed(), dropped + 2);
      unsubscribe();
      await eventually(async () => ((await subscribers('run-a')) === 0 ? true : undefined), 5_000, 'the last local subscriber to leave the Redis channel');
    } finally {
      raw.disconnect();
      await publisher.close();
      await subscriber.close();
    }
  });
});
