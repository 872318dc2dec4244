import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { Worker } from '@temporalio/worker';
import { createAgentKinds } from '../../src/activities/agents/registry.js';
import type { ChainCatalog } from '../../src/chains/catalog.js';
import { loadChains } from '../../src/chains/load.js';
import type { Config } from '../../src/config.js';
import { connectClient } from '../../src/temporal/connection.js';
import type { AgentHeartbeat, AgentRequest } from '../../src/workflows/types.js';
import { startEngine, testConfig, type TestEngine } from '../helpers/engine.js';
import { eventually, finalState, progress, start } from '../helpers/runs.js';
import { startTestTemporal, type TestTemporal } from '../helpers/temporal.js';
import { isAlive, startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const PLODDER_OUTPUT = Array.from({ length: 20 }, (_, i) => `w${i + 1}`).join(' ');

/** Waits until agent 2 of `slow` ("plodder") is running and its heartbeat has reached the server. */
async function waitForPlodderHeartbeat(client: Client, runId: string): Promise<AgentHeartbeat> {
  return eventually(
    async () => {
      if ((await progress(client, runId)).current_agent !== 'plodder') return undefined;
      const { raw } = await client.workflow.getHandle(runId).describe();
      const payload = raw.pendingActivities?.[0]?.heartbeatDetails?.payloads?.[0];
      const beat = payload && defaultPayloadConverter.fromPayload<AgentHeartbeat>(payload);
      return beat && beat.text.length > 0 ? beat : undefined;
    },
    20_000,
    'a heartbeat from plodder',
  );
}

/** The activities the workflow scheduled, in order, with the events that belong to each. */
function activitiesInHistory(events: HistoryEvent[]) {
  return events
    .filter((e) => e.activityTaskScheduledEventAttributes)
    .map((scheduled) => {
      const attrs = scheduled.activityTaskScheduledEventAttributes!;
      const request = defaultPayloadConverter.fromPayload<AgentRequest>(attrs.input!.payloads![0]!);
      const ofThis = (e: { scheduledEventId?: unknown } | null | undefined) => e != null && String(e.scheduledEventId) === String(scheduled.eventId);
      return {
        activityId: attrs.activityId,
        activityType: attrs.activityType?.name,
        agent: request.agent,
        started: events.filter((e) => ofThis(e.activityTaskStartedEventAttributes)).map((e) => e.activityTaskStartedEventAttributes!),
        completed: events.filter((e) => ofThis(e.activityTaskCompletedEventAttributes)),
      };
    });
}

interface ClientOnly {
  config: Config;
  catalog: ChainCatalog;
  client: Client;
  connection: Connection;
}

/**
 * A client with no in-process worker, so every task on the queue goes to the worker processes. It
 * avoids startEngine on purpose: that installs the SDK runtime, and a second install in the same
 * process (the restart suite below) throws; see installTemporalRuntime.
 */
async function connectClientOnly(address: string): Promise<ClientOnly> {
  const config = testConfig(address);
  const { connection, client } = await connectClient(config);
  return { config, catalog: loadChains(config, createAgentKinds(config)), client, connection };
}

describe('a worker process killed while an agent runs', () => {
  let server: TestTemporal;
  let engine: ClientOnly;
  const workers: WorkerProcess[] = [];

  before(async () => {
    server = await startTestTemporal();
    try {
      engine = await connectClientOnly(server.address);
    } catch (err) {
      await server.stop();
      throw err;
    }
  });
  after(async () => {
    for (const worker of workers) await worker.stop();
    await engine?.connection.close();
    await server?.stop();
  });

  it('resumes the run on a new worker: agent 1 is not run again, agent 2 is retried, the output is complete', async () => {
    const workerOptions = { address: server.address, taskQueue: engine.config.temporal.taskQueue };
    const first = await startWorkerProcess(workerOptions);
    workers.push(first);
    const handle = await start(engine, 'slow');

    const beat = await waitForPlodderHeartbeat(engine.client, handle.workflowId);
    assert.equal(beat.attempt, 1);
    await first.kill('SIGKILL');
    assert.equal(first.child.signalCode, 'SIGKILL');
    assert.equal(isAlive(first.pid), false, 'the killed worker is gone');

    workers.push(await startWorkerProcess(workerOptions));
    const state = await finalState(engine.client, handle.workflowId);

    assert.equal(state.status, 'completed');
    assert.equal(state.output, `done after ${PLODDER_OUTPUT}`);
    assert.deepEqual(state.agents.map((a) => a.status), ['completed', 'completed', 'completed']);
    assert.equal(state.agents[0]?.attempts, 1);
    assert.ok(state.agents[1]!.attempts >= 2, `plodder took ${state.agents[1]?.attempts} attempts; the killed one must not count as success`);

    const activities = activitiesInHistory((await handle.fetchHistory()).events ?? []);
    assert.deepEqual(
      activities.map((a) => [a.activityType, a.agent]),
      [
        ['runAgent', 'quick'],
        ['runAgent', 'plodder'],
        ['runAgent', 'finisher'],
      ],
      'each agent is scheduled exactly once, in order',
    );
    const [quick, plodder] = activities;
    assert.equal(activities.filter((a) => a.activityId === quick!.activityId).length, 1, 'one ActivityTaskScheduled for agent 1');
    assert.deepEqual(quick!.started.map((s) => s.attempt), [1], 'agent 1 ran once, on its first attempt');
    assert.equal(quick!.completed.length, 1);
    assert.equal(plodder!.started.length, 1);
    assert.ok(plodder!.started[0]!.attempt! >= 2, 'the attempt that completed agent 2 came after the crash');
  });

  it('completes the run on a new worker, running again the local agents of the workflow task that was lost', async () => {
    // The killed worker must be the only one polling when the run starts.
    for (const worker of workers.splice(0)) await worker.stop();
    const workerOptions = { address: server.address, taskQueue: engine.config.temporal.taskQueue };
    const first = await startWorkerProcess(workerOptions);
    workers.push(first);
    const handle = await start(engine, 'local-mixed');
    // A workflow task running local agents answers no query until it completes, so the kill is timed:
    // wobbly's three attempts take ~0.2 s, plodder ~2 s.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await first.kill('SIGKILL');
    assert.equal((await handle.describe()).historyLength, 3, 'the kill came before the workflow task that runs the local agents completed');
    workers.push(await startWorkerProcess(workerOptions));
    const state = await finalState(engine.client, handle.workflowId);
    assert.equal(state.status, 'completed', state.error?.message);
    assert.equal(state.output, 'after w1 w2 w3 w4 w5 w6 w7 w8 w9 w10');
    const markers = ((await handle.fetchHistory()).events ?? []).filter((e) => e.markerRecordedEventAttributes);
    assert.equal(markers.length, 2, 'each local agent recorded once, by the worker that completed its workflow task');
  });
});

describe('the Temporal server restarted while a run is in flight', () => {
  let server: TestTemporal;
  let engine: TestEngine;
  let worker: Worker;

  before(async () => {
    server = await startTestTemporal({ persist: true });
    try {
      engine = await startEngine(server.address);
      worker = await engine.startWorker();
    } catch (err) {
      await engine?.stop();
      await server.stop();
      throw err;
    }
  });
  after(async () => {
    await engine?.stop();
    await server?.stop();
    if (server?.dbFile) rmSync(path.dirname(server.dbFile), { recursive: true, force: true });
  });

  it('completes the run with the full output once the server is back; the in-process worker and client reconnect on their own', async () => {
    const handle = await start(engine, 'slow');
    await waitForPlodderHeartbeat(engine.client, handle.workflowId);

    const before = server;
    server = await before.restart();
    assert.ok(before.child.exitCode !== null || before.child.signalCode !== null, 'the first server process is gone');
    assert.notEqual(server.child.pid, before.child.pid);
    const state = await finalState(engine.client, handle.workflowId);

    assert.equal(state.status, 'completed');
    assert.equal(state.output, `done after ${PLODDER_OUTPUT}`);
    assert.deepEqual(state.agents.map((a) => a.status), ['completed', 'completed', 'completed']);
    assert.equal(state.agents[0]?.attempts, 1);
    assert.equal(worker.getState(), 'RUNNING', 'the worker rode out the outage');
  });
});
