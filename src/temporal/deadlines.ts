import { defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type ConnectionOptions } from '@temporalio/client';

type Interceptor = NonNullable<ConnectionOptions['interceptors']>[number];

/**
 * The bound on one history long-poll. The server answers a long-poll within about 20 s even when the
 * run has no new event, so this only ever ends a call on a connection that has gone silent.
 */
const LONG_POLL_DEADLINE_MS = 70_000;

/** History reads are this service's one long-poll through a client: run streams and sync waits on a result. */
const LONG_POLL_PATH = '/temporal.api.workflowservice.v1.WorkflowService/GetWorkflowExecutionHistory';

/**
 * Gives every gRPC call without a deadline of its own one: `callTimeoutMs` for unary calls (describe,
 * query, signal, start, cancel, list, count), LONG_POLL_DEADLINE_MS for history long-polls. Without
 * it a call on a connection that hangs silently — a frozen or restarting server whose socket stays
 * open — waits forever, and so does the request behind it. A deadline a caller set with
 * `connection.withDeadline` is kept. Transient failures are retried a few times (about a second in
 * all, not the SDK's ten attempts), always within the deadline.
 */
export function boundedCalls(callTimeoutMs: number): Interceptor {
  const retry = makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 4 }));
  return function boundedCall(options, nextCall) {
    if (options.deadline !== undefined) return retry(options, nextCall);
    const ms = options.method_definition.path === LONG_POLL_PATH ? Math.max(LONG_POLL_DEADLINE_MS, callTimeoutMs) : callTimeoutMs;
    return retry({ ...options, deadline: Date.now() + ms }, nextCall);
  };
}
