import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InProcessTokenChannel } from '../../src/tokens/in-process.js';
import { CALLERS } from '../helpers/api.js';
import { assertExactOutput, openStream } from '../helpers/sse-client.js';
import { useStack } from '../helpers/stack.js';

// The push path as `npm start` runs it: worker and API in one process, sharing the in-process token
// channel. `slow`'s plodder emits 20 words 200 ms apart; with a long heartbeat throttle (capped by the
// SDK at 80% of its 2 s heartbeat_timeout) its heartbeats reach Temporal only every 1.6 s, so the
// heartbeat path alone could carry only a few chunks.

const PLODDER_WORDS = Array.from({ length: 20 }, (_, i) => `w${i + 1}`);
const PLODDER_OUTPUT = PLODDER_WORDS.join(' ');

void describe('SSE with the in-process token channel', () => {
  const stack = useStack({ env: { CHAINPORT_HEARTBEAT_THROTTLE: '5s' }, tokens: new InProcessTokenChannel() });

  const streamSlow = () => openStream(`${stack.api.url}/api/v1/chains/slow/stream`, { body: {}, headers: { authorization: `Bearer ${CALLERS.alice}` } });

  void it('sends each word the agent emits as its own chunk, far more often than heartbeats reach Temporal', async () => {
    const stream = await streamSlow();
    await stream.done;
    const chunks = assertExactOutput(stream.events, 1, PLODDER_OUTPUT);
    assert.ok(chunks.length >= PLODDER_WORDS.length - 2, `one chunk per word (give or take the merge at the edges), got ${chunks.length}`);
    assert.equal(stream.events.at(-1)!.event, 'run.completed');
  });

  void it('reads the pending activities less and less often while pushed output flows', async () => {
    const service = stack.engine.client.workflowService;
    const describe = service.describeWorkflowExecution;
    const calls: number[] = [];
    // A spy, not a mock: every call still goes to the real Temporal server.
    service.describeWorkflowExecution = Object.assign((request: Parameters<typeof describe>[0]) => {
      calls.push(Date.now());
      return describe.call(service, request);
    }, describe);
    try {
      const stream = await streamSlow();
      await stream.done;
      const plodder = stream.events.filter((e) => e.data.index === 1);
      const [from, to] = [plodder[0]!.at, plodder.at(-1)!.at];
      const during = calls.filter((t) => t >= from && t <= to).length;
      // 4 s of output polled every 150 ms would take over 20 reads; backing off to 1.5 s takes about 7.
      assert.ok(to - from >= 3_000, `the plodder streamed for ${to - from} ms`);
      assert.ok(during <= 12, `${during} DescribeWorkflowExecution calls in ${to - from} ms of streaming`);
    } finally {
      service.describeWorkflowExecution = describe;
    }
  });
});
