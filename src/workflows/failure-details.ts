import { ActivityFailure } from '@temporalio/workflow';
import type { AgentFailureDetails, DeliveryAttempt } from './types.js';

// What activities attach to their failures, checked where the workflows read it. These are plain
// guards, not the zod schemas of ./schemas.ts: the workflow sandbox evaluates its modules again for
// every run, and building zod's schemas each time cost ~7 ms of CPU per run. A unit test holds each
// guard to its schema on the same samples.

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isInt = (value: unknown): value is number => Number.isSafeInteger(value);

/** What an activity's failure says: its cause's message (the activity's own error), not Temporal's wrapper. */
export function failureMessage(err: unknown): string {
  const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
  return cause instanceof Error ? cause.message : String(cause);
}

/** The attempt and cost the agent activity puts in its failure's details. */
export function isAgentFailureDetails(value: unknown): value is AgentFailureDetails {
  return isRecord(value) && isInt(value.attempt) && typeof value.cost === 'number' && Number.isFinite(value.cost);
}

/** The last delivery attempt the delivery activity puts in its failure's details. */
export function isDeliveryAttempt(value: unknown): value is DeliveryAttempt {
  return (
    isRecord(value) &&
    isInt(value.attempt) &&
    typeof value.at === 'string' &&
    (value.status_code === null || isInt(value.status_code)) &&
    (value.error === null || typeof value.error === 'string') &&
    isInt(value.duration_ms)
  );
}
