import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';

/**
 * The threads the Temporal SDK runs a worker on, by the names Linux gives them (15 characters at
 * most): Core's Tokio runtime (task polls and completions), its workflow-processing and sysinfo
 * threads, and the Node worker thread that runs workflow code. Not the main thread, which serves the
 * API and runs activities, nor V8's and libuv's pools, which serve it.
 */
const WORKER_THREAD = /^(tokio-runtime-w|workflow-proces|temporal-real-s|WorkerThread)/;

/** The highest nice value, the lowest priority, Linux has. */
const LOWEST = 19;

/**
 * Runs this process's worker threads `steps` nice values below its main thread (Linux; elsewhere
 * nothing), for `npm start`, where the API, the worker and the Temporal server share a machine.
 * When they saturate it, a caller waiting for its 202 then comes before runs already in flight:
 * those are durable and lose nothing by waiting a few milliseconds, and the worker still gets every
 * cycle the others leave. Threads the worker starts later inherit the value. Returns how many
 * threads were lowered.
 */
export function lowerWorkerThreadPriority(steps: number): number {
  // Relative to the main thread, so a service started under `nice` keeps the same order; raising a
  // nice value needs no privilege.
  const nice = Math.min(LOWEST, os.getPriority() + steps);
  let lowered = 0;
  for (const tid of threadIds()) {
    if (tid === process.pid || !WORKER_THREAD.test(threadName(tid))) continue;
    // A thread gone meanwhile throws ESRCH, and is skipped.
    try {
      os.setPriority(tid, nice);
      lowered++;
    } catch {
      // gone, or not ours to change
    }
  }
  return lowered;
}

function threadIds(): number[] {
  try {
    return readdirSync('/proc/self/task').map(Number);
  } catch {
    return [];
  }
}

function threadName(tid: number): string {
  try {
    return readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}
