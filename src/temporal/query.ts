import type { Client } from '@temporalio/client';
import { GrpcStatus, hasGrpcStatus } from './errors.js';

/** How long a read waits for a worker to answer a workflow query before it does without the answer. */
export const QUERY_DEADLINE_MS = 3_000;

/**
 * The answer to a workflow query (`query` makes it through `client`), or undefined when no worker
 * answered within QUERY_DEADLINE_MS: all down, restarting or overloaded. Any other failure is thrown.
 */
export async function queryIfAnswered<T>(client: Client, query: () => Promise<T>): Promise<T | undefined> {
  const deadline = Date.now() + QUERY_DEADLINE_MS;
  try {
    return await client.connection.withDeadline(deadline, query);
  } catch (err) {
    if (noWorkerAnswered(err, deadline)) return undefined;
    throw err;
  }
}

/**
 * The query found no worker to answer it: it ran out of time (DEADLINE_EXCEEDED, or CANCELLED once
 * the deadline has passed: the server ends the call at the same deadline, and its reset can arrive
 * before our own timer fires), or the server refused it at once because no worker polled the task
 * queue recently (FAILED_PRECONDITION "no poller seen for task queue recently", e.g. ~20 s after a
 * worker was killed).
 */
function noWorkerAnswered(err: unknown, deadline: number): boolean {
  if (hasGrpcStatus(err, GrpcStatus.DEADLINE_EXCEEDED, GrpcStatus.FAILED_PRECONDITION)) return true;
  return hasGrpcStatus(err, GrpcStatus.CANCELLED) && Date.now() >= deadline;
}
