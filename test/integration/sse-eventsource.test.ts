import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventSource } from 'eventsource';
import { CALLERS } from '../helpers/api.js';
import { useStack } from '../helpers/stack.js';

/** What a browser does: `new EventSource(url)` with no headers at all. */
function collect(url: string, timeoutMs = 20_000): Promise<Array<{ type: string; id: string; data: Record<string, unknown> }>> {
  return new Promise((resolve, reject) => {
    const source = new EventSource(url);
    const events: Array<{ type: string; id: string; data: Record<string, unknown> }> = [];
    const timer = setTimeout(() => {
      source.close();
      reject(new Error(`no terminal event within ${timeoutMs} ms (got ${events.length} events)`));
    }, timeoutMs);
    for (const type of ['run.started', 'agent.started', 'agent.output', 'agent.completed', 'run.completed', 'run.failed']) {
      source.addEventListener(type, (e) => {
        events.push({ type, id: e.lastEventId, data: JSON.parse(e.data) as Record<string, unknown> });
        if (type.startsWith('run.') && type !== 'run.started') {
          clearTimeout(timer);
          source.close();
          resolve(events);
        }
      });
    }
    source.onerror = (e) => {
      if (source.readyState === EventSource.CLOSED) {
        clearTimeout(timer);
        reject(new Error(`EventSource closed: ${(e as { message?: string }).message ?? 'error'}`));
      }
    };
  });
}

describe('browser EventSource with a stream token', () => {
  const stack = useStack();

  async function startRun(): Promise<string> {
    const res = await stack.api.request('/api/v1/chains/chain-3/runs', { body: { input: { topic: 'browser' } } });
    return ((await res.json()) as { run_id: string }).run_id;
  }

  it("streams a run's agents and tokens to an EventSource that sends no headers", async () => {
    const runId = await startRun();
    const res = await stack.api.request(`/api/v1/runs/${runId}/stream-token`, { method: 'POST' });
    assert.equal(res.status, 200);
    const { events_url: eventsUrl, expires_at: expiresAt } = (await res.json()) as { events_url: string; expires_at: string };
    const ttlMs = Date.parse(expiresAt) - Date.now();
    assert.ok(ttlMs > 0 && ttlMs <= 60_000, `a stream token lives about a minute (${ttlMs} ms left)`);
    assert.doesNotMatch(eventsUrl, new RegExp(CALLERS.alice), 'the API key never appears in the URL');
    const events = await collect(`${stack.api.url}${eventsUrl}`);
    assert.equal(events[0]!.type, 'run.started');
    assert.equal(events[0]!.data.run_id, runId);
    assert.deepEqual(
      [...new Set(events.filter((e) => e.type === 'agent.completed').map((e) => e.data.agent))],
      ['first', 'second', 'third'],
    );
    const final = events.at(-1)!;
    assert.equal(final.type, 'run.completed');
    const lastAgentText = events.filter((e) => e.type === 'agent.output' && e.data.index === 2).map((e) => e.data.chunk).join('');
    assert.equal(lastAgentText, final.data.output);
  });

  it('refuses a token for another run, a tampered token, and a token used on any other route', async () => {
    const [mine, other] = [await startRun(), await startRun()];
    const { token } = (await (await stack.api.request(`/api/v1/runs/${mine}/stream-token`, { method: 'POST' })).json()) as { token: string };
    assert.equal((await fetch(`${stack.api.url}/api/v1/runs/${other}/events?stream_token=${encodeURIComponent(token)}`)).status, 401);
    assert.equal((await fetch(`${stack.api.url}/api/v1/runs/${mine}/events?stream_token=${encodeURIComponent(`${token}x`)}`)).status, 401);
    assert.equal((await fetch(`${stack.api.url}/api/v1/runs/${mine}?stream_token=${encodeURIComponent(token)}`)).status, 401);
    const bobs = await stack.api.request(`/api/v1/runs/${mine}/stream-token`, { method: 'POST', key: CALLERS.bob });
    assert.equal(bobs.status, 404, "bob cannot get a token for alice's run");
  });
});
