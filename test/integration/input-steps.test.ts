import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { CALLERS } from '../helpers/api.js';
import { expectProblem, getRun, json, pollRun, startAsync, type Run } from '../helpers/api-suite.js';
import { eventually } from '../helpers/runs.js';
import { openStream } from '../helpers/sse-client.js';
import { useStack } from '../helpers/stack.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const APPROVAL_SCHEMA = { type: 'object', required: ['approved'], properties: { approved: { type: 'boolean' }, note: { type: 'string' } } };

describe('input steps', () => {
  const stack = useStack({ env: { CHAINPORT_WEBHOOK_ALLOW_PRIVATE: 'true' } });
  const receivers: WebhookReceiver[] = [];
  after(() => Promise.all(receivers.map((r) => r.close())));

  const waiting = (api = stack.api, runId: string, key?: string) => pollRun(api, runId, (run) => run.status !== 'running', 20_000, key);
  const answer = (runId: string, body: unknown, init: { key?: string; headers?: Record<string, string> } = {}) =>
    stack.api.request(`/api/v1/runs/${runId}/input`, { body, ...init });

  it('waits at the step with its request, takes a matching answer and feeds it to the next agent', async () => {
    const { run_id: runId } = await startAsync(stack.api, 'approval', { input: { topic: 'durable agents' } });
    const run = await waiting(stack.api, runId);
    assert.equal(run.status, 'waiting_for_input');
    assert.deepEqual(
      run.agents.map((a) => [a.name, a.status]),
      [
        ['writer', 'completed'],
        ['approval', 'waiting'],
        ['publisher', 'pending'],
      ],
    );
    const request = run.input_request!;
    assert.equal(request.step, 'approval');
    assert.equal(request.index, 1);
    assert.equal(request.prompt, 'Publish this draft? Draft about durable agents');
    assert.deepEqual(request.schema, APPROVAL_SCHEMA);
    const expires = Date.parse(request.expires_at) - Date.now();
    assert.ok(expires > 3_500_000 && expires <= 3_600_000, `expires in about an hour (${expires} ms)`);
    const poll = await stack.api.request(`/api/v1/runs/${runId}`);
    assert.equal(poll.headers.get('retry-after'), '60', 'a waiting run is polled rarely');

    const resumed = await json<Run>(await answer(runId, { step: 'approval', value: { approved: true, note: 'ship it' } }), 200);
    // Running again, or already done: the publisher takes no time.
    assert.ok(['running', 'completed'].includes(resumed.status), resumed.status);
    assert.equal(resumed.input_request, undefined);
    assert.equal(resumed.agents[1]?.answered_by, 'caller');
    const done = await pollRun(stack.api, runId, (r) => r.status === 'completed');
    assert.equal(done.output, 'Published: ship it');
    assert.deepEqual(
      done.agents.map((a) => [a.name, a.status, a.attempts, a.answered_by]),
      [
        ['writer', 'completed', 1, undefined],
        ['approval', 'completed', 1, 'caller'],
        ['publisher', 'completed', 1, undefined],
      ],
    );
    const listed = await json<{ data: Array<{ run_id: string; status: string }> }>(await stack.api.request('/api/v1/runs?chain=approval&limit=100'), 200);
    assert.equal(listed.data.find((r) => r.run_id === runId)?.status, 'completed');
  });

  it('answers a long poll when the run starts waiting, lists waiting runs by status and counts them in the metrics', async () => {
    const { run_id: runId } = await startAsync(stack.api, 'approval', { input: { topic: 'long poll' } });
    const started = Date.now();
    const run = await json<Run>(await stack.api.request(`/api/v1/runs/${runId}?wait=30`), 200);
    assert.equal(run.status, 'waiting_for_input');
    assert.ok(Date.now() - started < 10_000, 'not held for the whole wait');
    const listed = await eventually(async () => {
      const page = await json<{ data: Array<{ run_id: string; status: string }> }>(await stack.api.request('/api/v1/runs?status=waiting_for_input&limit=100'), 200);
      return page.data.some((r) => r.run_id === runId) ? page : undefined;
    });
    assert.ok(listed.data.every((r) => r.status === 'waiting_for_input'));
    const metric = async (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await (await stack.api.request('/metrics', { key: null })).text())?.[1] ?? 0);
    assert.ok((await metric('chainport_runs_waiting_for_input')) >= 1, 'the waiting-runs gauge counts it');
    const answeredBefore = await metric('chainport_input_time_to_answer_seconds_count\\{answered_by="caller"\\}');
    await json<Run>(await answer(runId, { step: 'approval', value: { approved: true } }), 200);
    assert.equal(await metric('chainport_input_time_to_answer_seconds_count\\{answered_by="caller"\\}'), answeredBefore + 1, 'the answer is timed');
    await pollRun(stack.api, runId, (r) => r.status === 'completed');
  });

  it('refuses a value that does not match the schema with 422 and errors[], and keeps waiting', async () => {
    const { run_id: runId } = await startAsync(stack.api, 'approval', { input: { topic: 'x' } });
    await waiting(stack.api, runId);
    const problem = await expectProblem(await answer(runId, { step: 'approval', value: { approved: 'yes' } }), 422, 'validation_failed');
    assert.deepEqual(problem.errors, [{ path: 'value.approved', message: 'Instance type "string" is invalid. Expected "boolean".' }]);
    const missing = await expectProblem(await answer(runId, { step: 'approval', value: {} }), 422, 'validation_failed');
    assert.equal(missing.errors?.length, 1);
    assert.match(missing.errors![0]!.message, /approved/);
    await expectProblem(await answer(runId, { step: 'approval' }), 422, 'validation_failed');
    assert.equal((await getRun(stack.api, runId)).status, 'waiting_for_input', 'a refused answer changes nothing');
    await expectProblem(await answer(runId, { step: 'publisher', value: true }), 409, 'input_not_pending');
    await json<Run>(await answer(runId, { step: 'approval', value: { approved: false } }), 200);
    await pollRun(stack.api, runId, (r) => r.status === 'completed');
  });

  it('takes exactly one of 10 concurrent answers; the other nine are input_already_provided', async () => {
    const { run_id: runId } = await startAsync(stack.api, 'approval', { input: { topic: 'race' } });
    await waiting(stack.api, runId);
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => answer(runId, { step: 'approval', value: { approved: true, note: `answer ${i}` } })));
    const statuses = answers.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
    const winner = answers.findIndex((r) => r.status === 200);
    for (const [i, res] of answers.entries()) if (i !== winner) assert.equal((await expectProblem(res, 409, 'input_already_provided')).answered_by, 'caller');
    const done = await pollRun(stack.api, runId, (r) => r.status === 'completed');
    assert.equal(done.output, `Published: answer ${winner}`, 'the run went on with the answer that got 200');
    await expectProblem(await answer(runId, { step: 'approval', value: { approved: true } }), 409, 'input_already_provided');
  });

  it('says input_not_pending to an answer sent before the run reaches the step, and after it ended without one', async () => {
    const { run_id: runId } = await startAsync(stack.api, 'approval-late', { input: {} });
    await expectProblem(await answer(runId, { step: 'approval', value: true }), 409, 'input_not_pending');
    await waiting(stack.api, runId);
    await json<Run>(await stack.api.request(`/api/v1/runs/${runId}/cancel`, { method: 'POST' }), 202);
    const cancelled = await pollRun(stack.api, runId, (r) => r.status === 'cancelled');
    assert.equal(cancelled.agents[1]?.status, 'cancelled');
    await expectProblem(await answer(runId, { step: 'approval', value: true }), 409, 'input_not_pending');
  });

  it("answers someone else's run 404, as everywhere", async () => {
    const { run_id: runId } = await startAsync(stack.api, 'approval', { input: { topic: 'mine' } });
    await waiting(stack.api, runId);
    await expectProblem(await answer(runId, { step: 'approval', value: { approved: true } }, { key: CALLERS.bob }), 404, 'not_found');
    await expectProblem(await answer('run-00000000000000000000', { step: 'approval', value: { approved: true } }), 404, 'not_found');
  });

  it('gives an Idempotency-Key repeat the same 200 and a repeat with another body 422 idempotency_conflict, before and after the run ended', async () => {
    const { run_id: runId } = await startAsync(stack.api, 'approval', { input: { topic: 'idem' } });
    await waiting(stack.api, runId);
    const headers = { 'Idempotency-Key': 'approve-once' };
    const body = { step: 'approval', value: { approved: true, note: 'once' } };
    await json<Run>(await answer(runId, body, { headers }), 200);
    await json<Run>(await answer(runId, body, { headers }), 200);
    await expectProblem(await answer(runId, { ...body, value: { approved: false } }, { headers }), 422, 'idempotency_conflict');
    await pollRun(stack.api, runId, (r) => r.status === 'completed');
    await json<Run>(await answer(runId, body, { headers }), 200);
    await expectProblem(await answer(runId, { ...body, value: { approved: false } }, { headers }), 422, 'idempotency_conflict');
    await expectProblem(await answer(runId, body, { headers: { 'Idempotency-Key': 'another' } }), 409, 'input_already_provided');
  });

  it('fails the run with input_timeout when nobody answers a step with on_timeout: fail', async () => {
    const { run_id: runId } = await startAsync(stack.api, 'approval-fails', { input: {} });
    const run = await pollRun(stack.api, runId, (r) => r.status === 'failed', 20_000);
    assert.equal(run.error?.code, 'input_timeout');
    assert.equal(run.error?.agent, 'approval');
    assert.deepEqual(run.agents.map((a) => a.status), ['failed', 'skipped']);
  });

  it('goes on with the default, marked as such, when nobody answers a step with on_timeout: continue', async () => {
    const { run_id: runId } = await startAsync(stack.api, 'approval-continues', { input: {} });
    const run = await pollRun(stack.api, runId, (r) => r.status === 'completed', 20_000);
    assert.equal(run.output, 'approved=false');
    assert.equal(run.agents[0]?.answered_by, 'default');
    await expectProblem(await answer(runId, { step: 'approval', value: {} }), 409, 'input_not_pending');
  });

  it('answers the sync route 202 at the pause, with the input request and where to poll', async () => {
    const res = await stack.api.request('/api/v1/chains/approval', { body: { input: { topic: 'sync' }, timeout_s: 30 } });
    const started = Date.now();
    const run = await json<Run & { poll_url: string; stream_url: string }>(res, 202);
    assert.ok(Date.now() - started < 5_000);
    assert.equal(run.status, 'waiting_for_input');
    assert.equal(run.input_request?.step, 'approval');
    assert.equal(res.headers.get('location'), `/api/v1/runs/${run.run_id}`);
    assert.equal(run.poll_url, `/api/v1/runs/${run.run_id}`);
    await json<Run>(await answer(run.run_id, { step: 'approval', value: { approved: true, note: 'sync' } }), 200);
    assert.equal((await pollRun(stack.api, run.run_id, (r) => r.status === 'completed')).output, 'Published: sync');
  });

  it('streams run.waiting and run.resumed, keeps the stream open while waiting, and resumes exactly across the pause', async () => {
    const { run_id: runId } = await startAsync(stack.api, 'approval', { input: { topic: 'stream' } });
    const auth = { authorization: `Bearer ${CALLERS.alice}` };
    const live = await openStream(`${stack.api.url}/api/v1/runs/${runId}/events`, { headers: auth });
    const waitingEvent = await live.waitFor((e) => e.event === 'run.waiting');
    assert.deepEqual(Object.keys(waitingEvent.data).sort(), ['expires_at', 'index', 'prompt', 'schema', 'step']);
    assert.equal(waitingEvent.data.prompt, 'Publish this draft? Draft about stream');
    await json<Run>(await answer(runId, { step: 'approval', value: { approved: true, note: 'streamed' } }), 200);
    const resumed = await live.waitFor((e) => e.event === 'run.resumed');
    assert.deepEqual(resumed.data, { step: 'approval', index: 1, answered_by: 'caller' });
    await live.done;
    const names = live.events.map((e) => e.event);
    assert.equal(names.at(-1), 'run.completed');
    assert.ok(names.indexOf('run.waiting') < names.indexOf('run.resumed'));
    assert.ok(names.indexOf('run.resumed') < names.lastIndexOf('agent.started'), 'the publisher starts after the answer');

    const replay = await openStream(`${stack.api.url}/api/v1/runs/${runId}/events`, { headers: auth, lastEventId: waitingEvent.id });
    await replay.done;
    assert.deepEqual(
      replay.events.map((e) => [e.id, e.event]),
      live.events.slice(live.events.findIndex((e) => e.id === waitingEvent.id) + 1).map((e) => [e.id, e.event]),
      'resuming after run.waiting gives exactly what followed it',
    );
  });

  it('sends a signed run.input_required webhook whose respond_url answers once without a key', async () => {
    const hook = await startWebhookReceiver();
    receivers.push(hook);
    const started = await startAsync(stack.api, 'approval', { input: { topic: 'partner' }, webhook: { url: hook.url, events: ['input_required', 'completed'] } });
    const [delivery] = await hook.waitFor(1);
    const payload = new Webhook(started.webhook!.secret!).verify(delivery!.body, {
      'webhook-id': delivery!.headers['webhook-id'] as string,
      'webhook-timestamp': delivery!.headers['webhook-timestamp'] as string,
      'webhook-signature': delivery!.headers['webhook-signature'] as string,
    }) as { event: string; status: string; run_id: string; input_request: { step: string; prompt: string }; respond_url: string };
    assert.equal(payload.event, 'run.input_required');
    assert.equal(payload.status, 'waiting_for_input');
    assert.equal(payload.input_request.step, 'approval');
    assert.equal(payload.input_request.prompt, 'Publish this draft? Draft about partner');
    const link = new URL(payload.respond_url);
    assert.equal(link.origin, new URL(stack.api.url).origin.replace(/:\d+$/, `:${link.port}`));

    const respond = (url: string, body: unknown) => fetch(`${stack.api.url}${new URL(url).pathname}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const [head, mac] = link.pathname.split('/').at(-1)!.split('.');
    const tampered = `${stack.api.url}/api/v1/input/${head}x.${mac}`;
    await expectProblem(await respond(tampered, { value: { approved: true } }), 404, 'not_found');
    await expectProblem(await respond(payload.respond_url, { value: { approved: 'no' } }), 422, 'validation_failed');
    const accepted = await json<Record<string, unknown>>(await respond(payload.respond_url, { value: { approved: true, note: 'by link' } }), 200);
    assert.deepEqual(accepted, { run_id: started.run_id, step: 'approval', answered_by: 'link' });
    const again = await expectProblem(await respond(payload.respond_url, { value: { approved: true } }), 409, 'input_already_provided');
    assert.equal(again.answered_by, 'link', "a partner whose first response was lost learns its answer was taken");
    const done = await pollRun(stack.api, started.run_id, (r) => r.status === 'completed');
    assert.equal(done.output, 'Published: by link');
    assert.equal(done.agents[1]?.answered_by, 'link');
    assert.equal((await expectProblem(await respond(payload.respond_url, { value: { approved: true } }), 409, 'input_already_provided')).answered_by, 'link', 'also after the run ended');
  });
});
