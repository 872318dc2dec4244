import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { before, describe, it } from 'node:test';
import { pollRun, startAsync } from '../helpers/api-suite.js';
import { useStack } from '../helpers/stack.js';
import { lowerWorkerThreadPriority } from '../../src/temporal/worker-priority.js';

/** Each thread of this process: its name and nice value, from /proc. */
function threads(): Array<{ tid: number; name: string; nice: number }> {
  return readdirSync('/proc/self/task').map((entry) => {
    const tid = Number(entry);
    const name = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
    // The fields after the name, which may hold spaces, start after its closing parenthesis; nice is the 19th field.
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const nice = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    return { tid, name, nice };
  });
}

/**
 * `npm start` runs the API, the worker and the Temporal server on one machine, and lowers the
 * worker's threads (CHAINPORT_WORKER_NICE steps) so that, when they saturate it, a caller's start
 * comes before work of runs already in flight. This process holds a real worker (useStack).
 */
void describe('the worker’s threads below the API', () => {
  const stack = useStack();
  const steps = 7;
  let base: number;
  let lowered: number;

  before(() => {
    base = os.getPriority();
    lowered = lowerWorkerThreadPriority(steps);
  });

  void it('lowers the SDK’s Core runtime, workflow-processing and workflow threads, and not the main thread or Node’s pools', () => {
    const all = threads();
    const worker = all.filter((t) => /^(tokio-runtime-w|workflow-proces|WorkerThread)/.test(t.name));
    // If an SDK upgrade renames its threads, nothing is lowered; this says so.
    for (const name of ['tokio-runtime-w', 'workflow-proces', 'WorkerThread']) assert.ok(worker.some((t) => t.name.startsWith(name)), `a ${name} thread runs`);
    assert.ok(lowered >= worker.length, `${lowered} threads lowered`);
    for (const t of worker) assert.equal(t.nice, Math.min(19, base + steps), `${t.name} (${t.tid})`);
    for (const t of all.filter((t) => t.tid === process.pid || /^(libuv-worker|V8Worker)/.test(t.name))) assert.equal(t.nice, base, `${t.name} (${t.tid}) keeps its priority`);
  });

  void it('leaves the worker running chains', async () => {
    const { run_id: runId } = await startAsync(stack.api, 'chain-3', { input: { topic: 'lowered' } });
    const run = await pollRun(stack.api, runId, (r) => r.status !== 'running');
    assert.equal(run.status, 'completed');
  });
});
