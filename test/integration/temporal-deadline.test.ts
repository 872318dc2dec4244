import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expectProblem, pollRun, startAsync } from '../helpers/api-suite.js';
import { useStack } from '../helpers/stack.js';

const CALL_TIMEOUT_MS = 2_000;
/** Time a 503 may take beyond the call deadline (a loaded 2-core CI machine). */
const MARGIN_MS = 5_000;
/** A request still unanswered after this hangs: the client gives up so the test fails instead of waiting forever. */
const HANG_MS = 20_000;

describe('Temporal call deadlines', () => {
  const stack = useStack({ env: { CHAINPORT_TEMPORAL_CALL_TIMEOUT: `${CALL_TIMEOUT_MS}ms` } });

  /**
   * SIGSTOP freezes the dev server: its sockets stay open and the kernel still accepts connections,
   * but nothing answers — a server hung mid-restart as the client sees it, not a refused port.
   */
  async function whileFrozen(fn: () => Promise<void>): Promise<void> {
    const pid = stack.temporal.child.pid;
    assert.ok(pid, 'the dev server has a pid');
    process.kill(pid, 'SIGSTOP');
    try {
      await fn();
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  }

  it('answers 503 unavailable with Retry-After within the call timeout while Temporal is frozen, then recovers', async () => {
    const { run_id: runId } = await startAsync(stack.api, 'chain-3', { input: { topic: 'frozen' } });
    await pollRun(stack.api, runId, (run) => run.status === 'completed');

    const requests = [
      ['GET', `/api/v1/runs/${runId}`, undefined],
      ['GET', `/api/v1/runs/${runId}/events`, undefined],
      ['GET', '/api/v1/runs', undefined],
      ['POST', '/api/v1/chains/chain-3/runs', { input: { topic: 'x' } }],
      ['POST', '/api/v1/chains/chain-3', { input: { topic: 'x' }, timeout_s: 30 }],
      ['POST', `/api/v1/runs/${runId}/cancel`, undefined],
    ] as const;
    // Polls within 100 ms share one read (PollCache): let pollRun's last read age out, so the poll
    // below asks the frozen server.
    await new Promise((resolve) => setTimeout(resolve, 150));
    await whileFrozen(async () => {
      const answered = await Promise.all(
        requests.map(async ([method, path, body]) => {
          const t0 = Date.now();
          const res = await stack.api.request(path, { method, body, signal: AbortSignal.timeout(HANG_MS) }).catch(() => assert.fail(`${method} ${path} got no answer within ${HANG_MS} ms`));
          const ms = Date.now() - t0;
          assert.ok(Number(res.headers.get('retry-after')) >= 1, `Retry-After on ${method} ${path}`);
          await expectProblem(res, 503, 'unavailable');
          return { label: `${method} ${path}`, ms };
        }),
      );
      for (const { label, ms } of answered) {
        // Not sooner: the frozen server refused nothing, so only the deadline can have ended the call.
        assert.ok(ms >= CALL_TIMEOUT_MS - 100, `${label} answered after ${ms} ms, before the deadline: was the server frozen?`);
        assert.ok(ms < CALL_TIMEOUT_MS + MARGIN_MS, `${label} answered after ${ms} ms`);
      }
    });

    const run = await pollRun(stack.api, runId, () => true, 20_000);
    assert.equal(run.status, 'completed', 'the API answers again once Temporal does');
  });
});
