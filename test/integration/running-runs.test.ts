import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { RunningRuns, countRunningRuns } from '../../src/runs/running-runs.js';
import { CHAIN_WORKFLOW, CallerIdKey } from '../../src/workflows/definitions.js';
import { eventually } from '../helpers/runs.js';
import { Started } from '../helpers/started.js';
import { startTestTemporal, type TestTemporal } from '../helpers/temporal.js';

/** A task queue no worker polls: runs started on it stay running. */
const NOBODY = 'running-runs-nobody';

describe('the concurrent-run limit reads visibility about once a second, and only a first start waits for it', () => {
  const started = new Started();
  let temporal: TestTemporal;
  let client: Client;
  before(() =>
    started.setup(async () => {
      temporal = started.add('temporal', await startTestTemporal(), (t) => t.stop());
      const connection = started.add('connection', await Connection.connect({ address: temporal.address }), (c) => c.close());
      client = new Client({ connection });
    }),
  );
  after(() => started.stopAll());

  /** The real client, with its visibility counts counted, and held while `hold` is set. */
  function countingClient() {
    const counts: Promise<unknown>[] = [];
    let hold: Promise<void> | undefined;
    let release = () => {};
    const counting = {
      workflow: {
        count: (query: string) => {
          const count = (async () => {
            await hold;
            return client.workflow.count(query);
          })();
          counts.push(count);
          return count;
        },
      },
    } as unknown as Client;
    return {
      client: counting,
      counts: () => counts.length,
      /** Once every count so far has answered and its reading is in. */
      settled: async () => {
        await Promise.allSettled(counts);
        await new Promise((resolve) => setImmediate(resolve));
      },
      hold: () => void (hold = new Promise((resolve) => (release = resolve))),
      release: () => release(),
    };
  }

  /** A running run of the caller's that visibility counts. */
  async function runningRunOf(callerId: string): Promise<void> {
    const workflowId = `running-${callerId}-${Date.now()}`;
    await client.workflow.start(CHAIN_WORKFLOW, {
      workflowId,
      taskQueue: NOBODY,
      args: [],
      typedSearchAttributes: new TypedSearchAttributes([{ key: CallerIdKey, value: callerId }]),
    });
    started.add(`run ${workflowId}`, workflowId, (id) => client.workflow.getHandle(id).terminate('test over'));
    await eventually(async () => ((await countRunningRuns(client, callerId)) === 1 ? true : undefined));
  }

  it('admits a start on an aged reading at once, and refreshes the reading behind it with one count', async () => {
    const counting = countingClient();
    let now = 0;
    const runs = new RunningRuns(counting.client, 1_000, () => now);
    assert.deepEqual(await runs.admit('dana', 5), { admitted: true });
    assert.equal(counting.counts(), 1, 'the first start waits for a reading');

    now = 1_500;
    counting.hold();
    const admissions = Promise.all([runs.admit('dana', 5), runs.admit('dana', 5)]);
    const first = await Promise.race([admissions, sleep(2_000).then(() => 'waited for the count' as const)]);
    assert.deepEqual(first, [{ admitted: true }, { admitted: true }]);
    assert.equal(counting.counts(), 2, 'one refresh, under way behind both starts');
    counting.release();
  });

  it('keeps the starts admitted during a refresh on top of the new reading, so the next start at the limit counts again', async () => {
    await runningRunOf('erin');
    const counting = countingClient();
    let now = 0;
    const runs = new RunningRuns(counting.client, 1_000, () => now);
    // Limit 3, one run in visibility: this start makes two.
    assert.deepEqual(await runs.admit('erin', 3), { admitted: true });

    now = 1_500;
    counting.hold();
    assert.deepEqual(await runs.admit('erin', 3), { admitted: true }, 'admitted on the aged reading: 1 + 1 running');
    counting.release();
    await counting.settled();

    // The refresh still sees one run; the start admitted while it was under way counts on top of it.
    now = 1_600;
    assert.deepEqual(await runs.admit('erin', 3), { admitted: true }, '1 + 1 running');
    assert.equal(counting.counts(), 2);
    // Three now, by this instance's count: before refusing, visibility is asked again.
    assert.deepEqual(await runs.admit('erin', 3), { admitted: true }, 'visibility still counts one run, so the start goes through');
    assert.equal(counting.counts(), 3, 'the start at the limit read visibility again');
  });

  it('refuses a start only when a fresh count confirms the limit', async () => {
    await runningRunOf('fran');
    const counting = countingClient();
    let now = 0;
    const runs = new RunningRuns(counting.client, 1_000, () => now);
    assert.deepEqual(await runs.admit('fran', 1), { admitted: false, running: 1 });
    now = 1_500;
    assert.deepEqual(await runs.admit('fran', 1), { admitted: false, running: 1 });
    assert.equal(counting.counts(), 2, 'the refusal on an aged reading waited for the refresh');
  });
});
