import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { expectProblem } from '../helpers/api-suite.js';
import { CALLERS, startTestApi } from '../helpers/api.js';
import { TEST_SECRET_KEY, startEngine } from '../helpers/engine.js';
import { eventually } from '../helpers/runs.js';
import { readDelivery, redeliver } from '../../src/runs/deliveries.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { startWorkerProcess } from '../helpers/worker-process.js';
import { useStack } from '../helpers/stack.js';

// Short schedules keep the suite fast: 3 attempts, 1 s doubling to 4 s (the server's retry timers have
// about a second's granularity), 1 s per attempt.
const WEBHOOK_ENV = {
  CHAINPORT_WEBHOOK_ALLOW_PRIVATE: 'true',
  CHAINPORT_WEBHOOK_MAX_ATTEMPTS: '3',
  CHAINPORT_WEBHOOK_INITIAL_INTERVAL: '1s',
  CHAINPORT_WEBHOOK_MAX_INTERVAL: '4s',
  CHAINPORT_WEBHOOK_TIMEOUT: '1s',
  CHAINPORT_WEBHOOK_MAX_REDELIVERIES: '2',
  CHAINPORT_WEBHOOK_MAX_OPEN_PER_CALLER: '3',
};

interface Delivery {
  delivery_id: string;
  event: string;
  status: string;
  attempts: Array<{ attempt: number; at: string; status_code: number | null; error: string | null; duration_ms: number }>;
}

describe('webhooks', () => {
  const stack = useStack({ env: WEBHOOK_ENV });
  const receivers: WebhookReceiver[] = [];
  after(() => Promise.all(receivers.map((r) => r.close())));

  async function receiver(...args: Parameters<typeof startWebhookReceiver>): Promise<WebhookReceiver> {
    const r = await startWebhookReceiver(...args);
    receivers.push(r);
    return r;
  }

  async function startWithWebhook(chain: string, webhook: Record<string, unknown>, input: unknown = { topic: 'hooks' }, key: string = CALLERS.alice) {
    const res = await stack.api.request(`/api/v1/chains/${chain}/runs`, { body: { input, webhook }, key });
    assert.equal(res.status, 202, await res.clone().text());
    return (await res.json()) as { run_id: string; webhook: { url: string; events: string[]; secret?: string } };
  }

  async function deliveries(runId: string, key: string = CALLERS.alice): Promise<Delivery[]> {
    const res = await stack.api.request(`/api/v1/runs/${runId}/deliveries`, { key });
    assert.equal(res.status, 200);
    return ((await res.json()) as { data: Delivery[] }).data;
  }

  async function settled(runId: string, count = 1, key: string = CALLERS.alice): Promise<Delivery[]> {
    return eventually(async () => {
      const list = await deliveries(runId, key);
      return list.length >= count && list.every((d) => d.status !== 'pending') ? list : undefined;
    }, 30_000, `deliveries of ${runId} to settle`);
  }

  it('signs the delivery so a Standard Webhooks library and X-Webhook-Signature both verify the exact bytes', async () => {
    const hook = await receiver();
    const started = await startWithWebhook('chain-3', { url: hook.url });
    const secret = started.webhook.secret!;
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/, 'a generated secret is whsec_ + base64 of 32 bytes, returned once');
    assert.deepEqual(started.webhook.events, ['completed', 'failed', 'timed_out', 'cancelled']);
    const [delivery] = await hook.waitFor(1);
    const { headers, body, json } = delivery!;
    const verified = new Webhook(secret).verify(body, {
      'webhook-id': headers['webhook-id'] as string,
      'webhook-timestamp': headers['webhook-timestamp'] as string,
      'webhook-signature': headers['webhook-signature'] as string,
    }) as Record<string, unknown>;
    assert.equal(verified.run_id, started.run_id);
    assert.equal(headers['x-webhook-signature'], `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
    assert.equal(headers['content-type'], 'application/json');
    assert.match(headers['user-agent'] ?? '', /^chainport-webhooks\/\d+\.\d+\.\d+/);
    assert.equal(headers['webhook-id'], json.delivery_id);
    assert.deepEqual(Object.keys(json).sort(), ['attempt', 'chain', 'chain_version', 'cost', 'delivery_id', 'duration_ms', 'error', 'event', 'output', 'run_id', 'status', 'timestamp'].sort());
    assert.equal(json.event, 'chain.completed');
    assert.equal(json.status, 'completed');
    assert.equal(json.chain, 'chain-3');
    assert.equal(json.attempt, 1);
    assert.equal(json.error, null);
    assert.match(String(json.output), /^third saw:/);
    const [record] = await settled(started.run_id);
    assert.equal(record!.status, 'delivered');
    assert.equal(record!.attempts.length, 1);
    assert.equal(record!.attempts[0]!.status_code, 200);
  });

  it('signs with the UTF-8 bytes of a caller secret that is not whsec_ base64', async () => {
    const hook = await receiver();
    const secret = 'my-plain-partner-secret-123';
    const started = await startWithWebhook('chain-3', { url: hook.url, secret });
    assert.equal(started.webhook.secret, undefined, 'a caller-given secret is never echoed');
    const [first] = await hook.waitFor(1);
    const { body } = first!;
    const headers = first!.headers as Record<string, string>;
    const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`).digest('base64');
    assert.equal(headers['webhook-signature'], `v1,${expected}`);
  });

  it('retries a receiver that fails twice with growing gaps and records one delivered delivery of 3 attempts', async () => {
    const hook = await receiver((_r, i) => ({ status: i < 2 ? 500 : 200 }));
    const started = await startWithWebhook('chain-3', { url: hook.url });
    const got = await hook.waitFor(3);
    assert.deepEqual(got.map((r) => r.json.attempt), [1, 2, 3]);
    assert.equal(new Set(got.map((r) => r.headers['webhook-id'])).size, 1, 'webhook-id is stable across retries');
    const gap1 = got[1]!.at - got[0]!.at;
    const gap2 = got[2]!.at - got[1]!.at;
    assert.ok(gap1 >= 900, `first gap ${gap1} ms follows the initial interval`);
    assert.ok(gap2 > gap1 * 1.5, `gaps grow: ${gap1} then ${gap2} ms`);
    const [record] = await settled(started.run_id);
    assert.equal(record!.status, 'delivered');
    assert.deepEqual(record!.attempts.map((a) => a.status_code), [500, 500, 200]);
  });

  it('stores a delivery to a dead receiver as failed, lists it, and a redelivery to the receiver back up succeeds with the same webhook-id', async () => {
    const hook = await receiver(() => ({ status: 503 }));
    const started = await startWithWebhook('chain-3', { url: hook.url });
    const [failed] = await settled(started.run_id);
    assert.equal(failed!.status, 'failed');
    assert.equal(failed!.attempts.length, 3);
    const listed = await eventually(async () => {
      const res = await stack.api.request('/api/v1/webhooks/failed');
      const page = (await res.json()) as { data: Delivery[]; next_cursor: string | null };
      return page.data.some((d) => d.delivery_id === failed!.delivery_id) ? page : undefined;
    }, 10_000, 'the failed list');
    assert.ok('next_cursor' in listed);
    const bobs = (await (await stack.api.request('/api/v1/webhooks/failed', { key: CALLERS.bob })).json()) as { data: Delivery[] };
    assert.equal(bobs.data.length, 0, "another caller never sees alice's failed deliveries");

    hook.answer(() => ({ status: 200 }));
    const res = await stack.api.request(`/api/v1/runs/${started.run_id}/deliveries/${failed!.delivery_id}/redeliver`, { method: 'POST' });
    assert.equal(res.status, 202);
    const again = await hook.waitFor(4);
    assert.equal(again[3]!.headers['webhook-id'], again[0]!.headers['webhook-id']);
    assert.notEqual(again[3]!.headers['webhook-signature'], again[0]!.headers['webhook-signature']);
    assert.equal(again[3]!.json.attempt, 4, 'attempt numbers continue across a redelivery');
    const [record] = await settled(started.run_id);
    assert.equal(record!.status, 'delivered');
    assert.equal(record!.delivery_id, failed!.delivery_id);
    assert.equal(record!.attempts.length, 4);
    await eventually(async () => {
      const page = (await (await stack.api.request('/api/v1/webhooks/failed')).json()) as { data: Delivery[] };
      return page.data.some((d) => d.delivery_id === failed!.delivery_id) ? undefined : true;
    }, 10_000, 'the delivery to leave the failed list');
  });

  it('resends the newest delivery of a run', async () => {
    const hook = await receiver();
    const started = await startWithWebhook('chain-3', { url: hook.url });
    await settled(started.run_id);
    const res = await stack.api.request(`/api/v1/runs/${started.run_id}/webhook/resend`, { method: 'POST' });
    assert.equal(res.status, 202);
    const got = await hook.waitFor(2);
    assert.equal(got[1]!.headers['webhook-id'], got[0]!.headers['webhook-id']);
    const missing = await stack.api.request(`/api/v1/runs/${started.run_id}/deliveries/nope/redeliver`, { method: 'POST' });
    assert.equal(missing.status, 404);
  });

  it('closes a delivery workflow once its round ends; a redelivery is a new run of the same id continuing the record, at most CHAINPORT_WEBHOOK_MAX_REDELIVERIES times', async () => {
    const hook = await receiver();
    const started = await startWithWebhook('chain-3', { url: hook.url });
    const [first] = await settled(started.run_id);
    const handle = stack.engine.client.workflow.getHandle(first!.delivery_id);
    const closed = await eventually(async () => {
      const d = await handle.describe();
      return d.status.name === 'COMPLETED' ? d : undefined;
    }, 10_000, 'the delivery workflow to close after its round');
    const redeliverUrl = `/api/v1/runs/${started.run_id}/deliveries/${first!.delivery_id}/redeliver`;
    for (const round of [1, 2]) {
      const res = await stack.api.request(redeliverUrl, { method: 'POST' });
      assert.equal(res.status, 202, await res.clone().text());
      assert.equal(((await res.json()) as Delivery).status, 'pending');
      await hook.waitFor(1 + round);
      const [record] = await eventually(async () => {
        const list = await deliveries(started.run_id);
        return list[0]?.status === 'delivered' && list[0].attempts.length === 1 + round ? list : undefined;
      }, 20_000, `redelivery ${round} to settle`);
      assert.equal(record!.delivery_id, first!.delivery_id, 'the same delivery record, seen through the API');
      assert.deepEqual(record!.attempts.map((a) => a.attempt), Array.from({ length: 1 + round }, (_, i) => i + 1));
    }
    const after = await eventually(async () => {
      const d = await handle.describe();
      return d.status.name === 'COMPLETED' ? d : undefined;
    }, 10_000, 'the redelivery run to close');
    assert.notEqual(after.runId, closed.runId, 'a redelivery starts a new run of the closed workflow id');
    const got = await hook.waitFor(3);
    assert.deepEqual(new Set(got.map((r) => r.headers['webhook-id'])), new Set([first!.delivery_id]));
    await expectProblem(await stack.api.request(redeliverUrl, { method: 'POST' }), 429, 'rate_limited');
    await expectProblem(await stack.api.request(`/api/v1/runs/${started.run_id}/webhook/resend`, { method: 'POST' }), 429, 'rate_limited');
  });

  it('continues the record a delivery closed with when it closes between the look and the redeliver signal', async () => {
    const hook = await receiver();
    const started = await startWithWebhook('chain-3', { url: hook.url });
    const [first] = await settled(started.run_id);
    const closed = await eventually(async () => {
      const found = await readDelivery(stack.engine.client, first!.delivery_id);
      return found?.open === false ? found : undefined;
    }, 10_000, 'the delivery to close');
    // What a look taken while its round ran saw: open, no attempt yet.
    const stale = { record: { ...closed.record, status: 'pending' as const, attempts: [] }, open: true };
    const result = await redeliver(stack.engine.client, stack.engine.config.temporal, stale, 2);
    assert.equal(result.outcome, 'started');
    await hook.waitFor(2);
    const [record] = await eventually(async () => {
      const list = await deliveries(started.run_id);
      return list[0]?.status === 'delivered' && list[0].attempts.length >= 2 ? list : undefined;
    }, 20_000, 'the redelivery to settle');
    assert.deepEqual(record!.attempts.map((a) => a.attempt), [1, 2], 'the first attempt kept, the new one numbered on');
  });

  it('answers 429 to a redelivery while the caller has CHAINPORT_WEBHOOK_MAX_OPEN_PER_CALLER deliveries in progress', async () => {
    const fast = await receiver();
    const done = await startWithWebhook('chain-3', { url: fast.url }, { topic: 'bob' }, CALLERS.bob);
    const [settledOne] = await settled(done.run_id, 1, CALLERS.bob);
    // Four deliveries (three agents and the run) that hang at every attempt stay in their round for seconds.
    const hanging = await receiver(() => 'hang');
    await startWithWebhook('chain-3', { url: hanging.url, events: ['agent.completed', 'completed'] }, { topic: 'bob' }, CALLERS.bob);
    await hanging.waitFor(4);
    const res = await eventually(async () => {
      const answer = await stack.api.request(`/api/v1/runs/${done.run_id}/deliveries/${settledOne!.delivery_id}/redeliver`, { method: 'POST', key: CALLERS.bob });
      return answer.status === 429 ? answer : undefined;
    }, 10_000, 'the open-deliveries limit');
    const problem = await expectProblem(res, 429, 'rate_limited');
    assert.match(problem.detail, /deliveries in progress \(limit 3\)/);
    assert.ok(Number(res.headers.get('retry-after')) > 0);
  });

  it('cuts a hanging receiver at the attempt timeout', async () => {
    const hook = await receiver((_r, i) => (i === 0 ? 'hang' : { status: 204 }));
    const started = await startWithWebhook('chain-3', { url: hook.url });
    const [record] = await settled(started.run_id);
    assert.equal(record!.status, 'delivered');
    assert.equal(record!.attempts[0]!.status_code, null);
    assert.match(record!.attempts[0]!.error ?? '', /no answer within 1000 ms/);
    assert.ok(record!.attempts[0]!.duration_ms < 2_000, `attempt cut after ${record!.attempts[0]!.duration_ms} ms`);
  });

  it('stops retrying on 410 Gone and honours Retry-After on 429', async () => {
    const gone = await receiver(() => ({ status: 410 }));
    const goneRun = await startWithWebhook('chain-3', { url: gone.url });
    const [record] = await settled(goneRun.run_id);
    assert.equal(record!.status, 'failed');
    assert.equal(record!.attempts.length, 1);

    const limited = await receiver((_r, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }));
    await startWithWebhook('chain-3', { url: limited.url });
    const got = await limited.waitFor(2);
    assert.ok(got[1]!.at - got[0]!.at >= 900, `the retry waited for Retry-After (${got[1]!.at - got[0]!.at} ms)`);
  });

  it('honours event filters, including agent.completed after each agent', async () => {
    const onlyFailures = await receiver();
    const quiet = await startWithWebhook('chain-3', { url: onlyFailures.url, events: ['failed'] });
    await eventually(async () => ((await (await stack.api.request(`/api/v1/runs/${quiet.run_id}`)).json()) as { status: string }).status === 'completed' || undefined);
    const failing = await startWithWebhook('failing', { url: onlyFailures.url, events: ['failed'] }, {});
    const [failure] = await onlyFailures.waitFor(1);
    assert.equal(failure!.json.run_id, failing.run_id, 'the completed run sent nothing');
    assert.equal(failure!.json.event, 'chain.failed');
    assert.equal((failure!.json.error as { code: string }).code, 'agent_failed');

    const everyAgent = await receiver();
    const started = await startWithWebhook('chain-3', { url: everyAgent.url, events: ['agent.completed', 'completed'] });
    const got = await everyAgent.waitFor(4);
    const byEvent = got.map((r) => [r.json.event, r.json.agent ?? null]);
    assert.deepEqual(byEvent.sort(), [['agent.completed', 'first'], ['agent.completed', 'second'], ['agent.completed', 'third'], ['chain.completed', null]].sort());
    assert.ok(got.filter((r) => r.json.event === 'agent.completed').every((r) => typeof r.json.agent_output === 'string'));
    assert.equal((await settled(started.run_id, 4)).length, 4);
  });

  it('refuses private and malformed webhook URLs at request time unless private targets are allowed', async () => {
    const strictEngine = await startEngine(stack.temporal.address, { ...WEBHOOK_ENV, CHAINPORT_WEBHOOK_ALLOW_PRIVATE: 'false' });
    const strictApi = await startTestApi(strictEngine);
    try {
      for (const url of ['http://127.0.0.1:9/hook', 'http://169.254.169.254/latest/meta-data', 'http://10.0.0.8/x', 'http://[::1]/x', 'ftp://example.com/x', 'https://user:pw@example.com/x']) {
        const res = await strictApi.request('/api/v1/chains/chain-3/runs', { body: { input: { topic: 'x' }, webhook: { url } } });
        assert.equal(res.status, 422, url);
        const problem = (await res.json()) as { code: string; errors: Array<{ path: string }> };
        assert.equal(problem.code, 'validation_failed');
        assert.equal(problem.errors[0]!.path, 'webhook.url');
      }
    } finally {
      await strictApi.close();
      await strictEngine.connection.close();
    }
  });

  it('finishes a delivery when the worker is killed between attempts', async () => {
    const taskQueue = `${stack.engine.config.temporal.taskQueue}-crash`;
    const env = { ...WEBHOOK_ENV, CHAINPORT_SECRET_KEY: TEST_SECRET_KEY, CHAINPORT_WEBHOOK_INITIAL_INTERVAL: '2s', CHAINPORT_WEBHOOK_MAX_INTERVAL: '2s' };
    const crashEngine = await startEngine(stack.temporal.address, { ...env, TEMPORAL_TASK_QUEUE: taskQueue });
    const crashApi = await startTestApi(crashEngine);
    let worker = await startWorkerProcess({ address: stack.temporal.address, taskQueue, env });
    try {
      const hook = await receiver((_r, i) => ({ status: i === 0 ? 500 : 200 }));
      const res = await crashApi.request('/api/v1/chains/chain-3/runs', { body: { input: { topic: 'crash' }, webhook: { url: hook.url } } });
      const { run_id: runId } = (await res.json()) as { run_id: string };
      await hook.waitFor(1);
      await worker.kill('SIGKILL');
      worker = await startWorkerProcess({ address: stack.temporal.address, taskQueue, env });
      const got = await hook.waitFor(2, 30_000);
      assert.equal(got[1]!.json.attempt, 2);
      const list = (await (await crashApi.request(`/api/v1/runs/${runId}/deliveries`)).json()) as { data: Delivery[] };
      await eventually(async () => {
        const data = ((await (await crashApi.request(`/api/v1/runs/${runId}/deliveries`)).json()) as { data: Delivery[] }).data;
        return data[0]?.status === 'delivered' ? data : undefined;
      });
      assert.ok(list.data.length === 1);
    } finally {
      await worker.stop();
      await crashApi.close();
      await crashEngine.connection.close();
    }
  });
});
