import { status, type ServiceError as GrpcServiceError } from '@grpc/grpc-js';
import { IllegalStateError, NamespaceNotFoundError } from '@temporalio/common';
import { isGrpcServiceError } from '@temporalio/client';
import proto from '@temporalio/proto';

// How the service tells Temporal's errors apart: by the SDK's error classes and the gRPC status enum,
// never by message text. The SDK wraps a failed gRPC call in a ServiceError (or a more specific
// class) whose `cause` is the gRPC error, so the status is looked for along the cause chain.

export { status as GrpcStatus };

/** The first gRPC error along `err`'s cause chain; undefined when there is none. */
function grpcErrorOf(err: unknown): GrpcServiceError | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (isGrpcServiceError(e)) return e;
  }
  return undefined;
}

/** Whether `err` carries one of the gRPC statuses `codes` (see grpcErrorOf). */
export function hasGrpcStatus(err: unknown, ...codes: status[]): boolean {
  const code = grpcErrorOf(err)?.code;
  return code !== undefined && codes.includes(code);
}

/**
 * Temporal could not be reached: the server is down or restarting (UNAVAILABLE; a restarting server
 * cuts calls in flight, CANCELLED) or did not answer in time (DEADLINE_EXCEEDED). Callers should
 * retry like any outage.
 */
export function isTemporalUnreachable(err: unknown): boolean {
  if (hasGrpcStatus(err, status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.CANCELLED)) return true;
  // The service's namespace exists (workers and start-up check it): a Temporal server that cannot
  // read its database (PostgreSQL restarting) answers "namespace not found" for it meanwhile.
  for (let e: unknown = err; e instanceof Error; e = e.cause) if (e instanceof NamespaceNotFoundError) return true;
  return false;
}

const WORKFLOW_NOT_READY = 'type.googleapis.com/temporal.api.errordetails.v1.WorkflowNotReadyFailure';

/**
 * The run cannot handle the request right now: 9 FAILED_PRECONDITION with a WorkflowNotReadyFailure
 * detail. An update gets it when the workflow task that carried it failed (the worker never accepted
 * it), or at once while the run's workflow tasks keep failing. Nothing was recorded; a later try can succeed.
 */
export function isWorkflowNotReady(err: unknown): boolean {
  const grpcError = grpcErrorOf(err);
  if (grpcError?.code !== status.FAILED_PRECONDITION) return false;
  const details = grpcError.metadata.get('grpc-status-details-bin')[0];
  return Buffer.isBuffer(details) && proto.google.rpc.Status.decode(details).details.some((detail) => detail.type_url === WORKFLOW_NOT_READY);
}

/** Something the call meant to create exists already (e.g. a search attribute another worker added first). */
export function isAlreadyExists(err: unknown): boolean {
  return hasGrpcStatus(err, status.ALREADY_EXISTS);
}

/** The SDK's Runtime singleton was installed (or instantiated by a worker) before this install. */
export function isRuntimeAlreadyInstalled(err: unknown): boolean {
  return err instanceof IllegalStateError;
}
