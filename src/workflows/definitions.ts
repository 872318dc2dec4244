import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DeliveryAttempt, InputAccepted, InputAnswer, RerunBatch, RunState } from './types.js';

// The wire names between the workflows and everyone who starts, signals, queries or lists them: the
// API, src/runs/ and the activities import these instead of the workflow code, and the workflows
// import them too. The workflow bundle includes this file, so it stays free of Node imports and side
// effects. Renaming anything here breaks open runs and recorded histories.

/** Workflow type names: the export names in ./index.ts, which the worker registers them under. */
export const CHAIN_WORKFLOW = 'chainWorkflow';
export const WEBHOOK_DELIVERY_WORKFLOW = 'webhookDeliveryWorkflow';
export const RERUN_BATCH_WORKFLOW = 'rerunBatchWorkflow';

// Chain runs.

/** Live run state; the API answers polls with it while the run is open. */
export const progressQuery = defineQuery<RunState>('progress');

/** Cancels the run from inside Temporal (ops tooling, or the service's own rules such as orphan detection). */
export const cancelSignal = defineSignal<[{ code?: 'cancelled' | 'orphaned'; reason?: string }]>('cancel');

/**
 * "Someone is still interested": polls, stream attaches and sync waits send it (throttled by the API),
 * and a run with an orphan timeout cancels itself when none arrives for that long.
 */
export const touchSignal = defineSignal('touch');

/**
 * The answer to the input step the run waits at. Its validator refuses (as ApplicationFailures whose
 * type is the API's error code) an answer for a step the run is not waiting at (`input_not_pending`),
 * one after another answer won (`input_already_provided`) and a value that does not match the step's
 * schema (`validation_failed`, the problems in its details): a refused answer leaves no trace in history.
 */
export const provideInputUpdate = defineUpdate<InputAccepted, [InputAnswer]>('provideInput');

/**
 * Memo key under which a run shows the input step it waits at (`InputRequest`), replaced by
 * `{step, index, answered_by}` when it goes on: the stream reads `run.waiting` and `run.resumed` from these.
 */
export const INPUT_MEMO_KEY = 'input';

/** Memo key under which a closed run keeps its final state, so polls never replay the workflow. */
export const RESULT_MEMO_KEY = 'result';

// Webhook deliveries.

/** Each attempt's outcome, reported by the delivery activity as it happens. */
export const attemptSignal = defineSignal<[DeliveryAttempt]>('attempt');
/**
 * Sends the delivery again within the same run: one more round once the current one ends (deliveries
 * started before deliveries closed after their round also wait for it between rounds). A redelivery
 * of a closed delivery is a new run of the same workflow id.
 */
export const redeliverSignal = defineSignal('redeliver');

/** Memo key under which a delivery keeps its record, so reads never need a worker. */
export const DELIVERY_MEMO_KEY = 'delivery';

// Bulk reruns.

/** A rerun batch's progress and per-run results while it runs (its result once it ended). */
export const batchProgressQuery = defineQuery<RerunBatch>('batchProgress');

// Search attributes every run carries, so ops can filter runs in the Temporal UI and the API can list
// a caller's runs from visibility. src/temporal/search-attributes.ts registers them.

export const ChainNameKey = defineSearchAttributeKey('ChainName', SearchAttributeType.KEYWORD);
export const ChainVersionKey = defineSearchAttributeKey('ChainVersion', SearchAttributeType.INT);
export const CallerIdKey = defineSearchAttributeKey('CallerId', SearchAttributeType.KEYWORD);
/** The run's own outcome, set when it ends: Temporal's status cannot tell timed_out or budget stops from failures. */
export const RunStatusKey = defineSearchAttributeKey('RunStatus', SearchAttributeType.KEYWORD);
/** Set on reruns: the run a rerun re-runs, so its reruns can be listed (GET /runs?rerun_of=) and found in the Temporal UI. */
export const RerunOfKey = defineSearchAttributeKey('RerunOf', SearchAttributeType.KEYWORD);
/** A webhook delivery's status (pending, delivered, failed): the failed-deliveries list filters on it. */
export const DeliveryStatusKey = defineSearchAttributeKey('DeliveryStatus', SearchAttributeType.KEYWORD);
