import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTestApi } from '../helpers/api.js';
import type { Client } from '@temporalio/client';
import { DurationEstimates } from '../../src/runs/estimates.js';
import { finalState } from '../helpers/runs.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';
import { useStack } from '../helpers/stack.js';

// `slow` runs for about 4.5 s; an orphan timeout of 1.5 s cancels it long before it could finish.
const LIFECYCLE_ENV = { CHAINPORT_ORPHAN_TIMEOUT: '1500ms', CHAINPORT_WEBHOOK_ALLOW_PRIVATE: 'true' };

describe('run lifecycle: orphans, estimates', () => {
  const stack = useStack({ env: LIFECYCLE_ENV });

  async function startAsync(chain: string, body: Record<string, unknown> = {}): Promise<string> {
    const res = await stack.api.request(`/api/v1/chains/${chain}/runs`, { body: { input: {}, ...body } });
    assert.equal(res.status, 202, await res.clone().text());
    return ((await res.json()) as { run_id: string }).run_id;
  }

  it('cancels an async run nobody polls as orphaned', async () => {
    const runId = await startAsync('slow');
    const state = await finalState(stack.engine.client, runId);
    assert.equal(state.status, 'cancelled');
    assert.equal(state.error?.code, 'orphaned');
    const polled = (await (await stack.api.request(`/api/v1/runs/${runId}`)).json()) as { status: string; error: { code: string; status: number } };
    assert.equal(polled.status, 'cancelled');
    assert.equal(polled.error.code, 'orphaned');
  });

  it('keeps a polled async run alive until it completes', async () => {
    const runId = await startAsync('slow');
    for (;;) {
      const run = (await (await stack.api.request(`/api/v1/runs/${runId}`)).json()) as { status: string };
      if (run.status !== 'running') {
        assert.equal(run.status, 'completed');
        break;
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  });

  it('never orphans a run with a webhook, nor a run started synchronously', async () => {
    const hook = await startWebhookReceiver();
    try {
      // Both runs at once: each outlives the orphan timeout by seconds, and waiting for one is enough.
      const [withHook, syncRun] = await Promise.all([
        startAsync('slow', { webhook: { url: hook.url, secret: 'a-partner-secret-of-length' } }),
        (async () => {
          const res = await stack.api.request('/api/v1/chains/slow', { body: { input: {}, timeout_s: 1 } });
          assert.equal(res.status, 504);
          return ((await res.json()) as { run_id: string }).run_id;
        })(),
      ]);
      const states = await Promise.all([withHook, syncRun].map((runId) => finalState(stack.engine.client, runId)));
      assert.deepEqual(states.map((state) => state.status), ['completed', 'completed']);
    } finally {
      await hook.close();
    }
  });

  it('estimates duration from the chain file before any run, then from the median of completed runs', async () => {
    const first = (await (await stack.api.request('/api/v1/chains/estimated/runs', { body: { input: {} } })).json()) as { estimated_duration_s: number | null };
    assert.equal(first.estimated_duration_s, 2, "the chain file's estimated_duration");
    const noHint = (await (await stack.api.request('/api/v1/chains/json-output@1/runs', { body: { input: {} } })).json()) as { estimated_duration_s: number | null };
    assert.equal(noHint.estimated_duration_s, null, 'no hint and no history: none');

    // Three runs at once: a median needs three durations, not three waits in a row.
    const statuses = await Promise.all([1, 2, 3].map(async () => (await stack.api.request('/api/v1/chains/slow', { body: { input: {} } })).status));
    assert.deepEqual(statuses, [200, 200, 200]);
    // A fresh API instance has an empty cache, so it reads visibility.
    const fresh = await startTestApi(stack.engine);
    try {
      const { estimated_duration_s: estimate } = (await (await fresh.request('/api/v1/chains/slow/runs', { body: { input: {} } })).json()) as { estimated_duration_s: number };
      assert.ok(estimate >= 3 && estimate <= 10, `median of completed slow runs is about 4.5 s, got ${estimate}`);
    } finally {
      await fresh.close();
    }
  });

  it('answers an aged estimate at once and refreshes it behind the start, one visibility read at a time', async () => {
    // The real client, with its visibility listings counted and kept to wait on.
    const listings: Promise<unknown>[] = [];
    const service = stack.engine.client.workflowService;
    const counting = {
      workflowService: {
        listWorkflowExecutions: (request: Parameters<typeof service.listWorkflowExecutions>[0]) => {
          const listing = service.listWorkflowExecutions(request);
          listings.push(listing);
          return listing;
        },
      },
    } as unknown as Client;
    const estimates = new DurationEstimates(counting, stack.engine.config.temporal.namespace);
    const chain = stack.engine.catalog.resolve('slow')!;

    const first = await estimates.estimateMs(chain, 0);
    assert.equal(listings.length, 1, 'the first estimate reads visibility');
    assert.equal(await estimates.estimateMs(chain, 10_000), first);
    assert.equal(listings.length, 1, 'a recent reading is answered as it is');

    // Aged: both starts answer the last reading at once, and one read refreshes it behind them.
    const aged = await Promise.all([estimates.estimateMs(chain, 31_000), estimates.estimateMs(chain, 31_001)]);
    assert.deepEqual(aged, [first, first]);
    assert.equal(listings.length, 2, 'one refresh for the starts that found the reading aged');

    await Promise.allSettled(listings);
    await new Promise((resolve) => setImmediate(resolve));
    await estimates.estimateMs(chain, 60_000);
    assert.equal(listings.length, 2, 'the refreshed reading (taken at 31 s) is answered until it ages in turn');
    await estimates.estimateMs(chain, 61_001);
    assert.equal(listings.length, 3);
  });
});
