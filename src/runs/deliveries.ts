import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { z } from 'zod';
import { decodeFirst, parseRecord } from '../temporal/payloads.js';
import { deliveryRecordSchema, webhookPayloadSchema } from '../records/schemas.js';
import { describeWorkflow } from './describe.js';
import { EXECUTION_STATUS, WORKFLOW_ID, WORKFLOW_TYPE, and, equals, isIn } from './visibility-query.js';
import { visibilityPage, type Page } from './visibility.js';
import { CallerIdKey, DELIVERY_MEMO_KEY, DeliveryStatusKey, WEBHOOK_DELIVERY_WORKFLOW, redeliverSignal } from '../workflows/definitions.js';
import type { webhookDeliveryWorkflow } from '../workflows/webhook-delivery.js';
import type { DeliveryRecord, DeliveryRequest } from '../workflows/types.js';

/** A delivery workflow's memo: its record (absent from any other workflow's). */
const deliveryMemo = z.object({ [DELIVERY_MEMO_KEY]: deliveryRecordSchema.optional() });

/** A delivery's record from its memo (no worker needed); undefined when it no longer exists. */
export async function readDelivery(client: Client, deliveryId: string): Promise<{ record: DeliveryRecord; open: boolean } | undefined> {
  const description = await describeWorkflow(client, deliveryId);
  if (!description) return undefined;
  const record = parseRecord(deliveryMemo, description.memo ?? {}, `The memo of delivery ${deliveryId}`)[DELIVERY_MEMO_KEY];
  return record && { record, open: description.status.name === 'RUNNING' };
}

/** The start input of a delivery's newest run, as the workflow received it; only what a redelivery reuses is checked. */
const deliveryRequestSchema = z.object({
  deliveryId: z.string(),
  callerId: z.string(),
  url: z.string(),
  sealedSecret: z.string(),
  policy: z.object({ maxAttempts: z.number(), initialIntervalMs: z.number(), maxIntervalMs: z.number(), timeoutMs: z.number(), keepMs: z.number() }),
  payload: webhookPayloadSchema,
  redelivery: z.object({ record: deliveryRecordSchema, count: z.number().int().nonnegative() }).optional(),
});

async function newestRequest(client: Client, namespace: string, deliveryId: string): Promise<DeliveryRequest> {
  const { history } = await client.workflowService.getWorkflowExecutionHistory({ namespace, execution: { workflowId: deliveryId }, maximumPageSize: 1 });
  const started = history?.events?.[0]?.workflowExecutionStartedEventAttributes;
  const input = await decodeFirst(client.options.loadedDataConverter, started?.input?.payloads);
  return parseRecord(deliveryRequestSchema, input, `The input of delivery ${deliveryId}`);
}

export type Redelivery =
  | { outcome: 'started'; record: DeliveryRecord }
  /** A round is under way already; nothing new was started. */
  | { outcome: 'in_progress'; record: DeliveryRecord }
  | { outcome: 'limit_reached'; count: number };

/**
 * Sends a delivery again: same webhook-id, fresh timestamp and signature, attempts added to the same
 * record. A closed delivery gets a new run of its workflow id continuing the record (at most
 * `maxRedeliveries` times); an open one (in its round, or from before deliveries closed after their
 * round) is signalled and runs one more round.
 */
export async function redeliver(
  client: Client,
  temporal: { namespace: string; taskQueue: string },
  found: { record: DeliveryRecord; open: boolean },
  maxRedeliveries: number,
): Promise<Redelivery> {
  let { record } = found;
  if (found.open) {
    try {
      // The delivery runs one more round when this one ends (however often it is asked meanwhile).
      await client.workflow.getHandle(record.delivery_id).signal(redeliverSignal);
      return { outcome: 'started', record: { ...record, status: 'pending' } };
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      // It closed between our look and the signal, with attempts our look did not see: continue the
      // record it closed with, or the next round would renumber (and so drop) its last attempts.
      const closed = await readDelivery(client, record.delivery_id);
      if (!closed) throw err;
      record = closed.record;
    }
  }
  const previous = await newestRequest(client, temporal.namespace, record.delivery_id);
  const count = (previous.redelivery?.count ?? 0) + 1;
  if (count > maxRedeliveries) return { outcome: 'limit_reached', count: count - 1 };
  const pending: DeliveryRecord = { ...record, status: 'pending' };
  try {
    await client.workflow.start<typeof webhookDeliveryWorkflow>(WEBHOOK_DELIVERY_WORKFLOW, {
      workflowId: record.delivery_id,
      taskQueue: temporal.taskQueue,
      args: [{ ...previous, redelivery: { record, count } }],
      // The record closed with the last round; this run continues it under the same id (the webhook-id).
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      memo: { [DELIVERY_MEMO_KEY]: pending },
      typedSearchAttributes: [
        { key: CallerIdKey, value: previous.callerId },
        { key: DeliveryStatusKey, value: 'pending' },
      ],
      staticSummary: `redelivery ${count} of ${record.delivery_id}`,
    });
  } catch (err) {
    // Another request started this redelivery a moment ago.
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { outcome: 'in_progress', record: pending };
    throw err;
  }
  return { outcome: 'started', record: pending };
}

/** How many of a caller's deliveries are in a round now (visibility: may lag a second behind). */
export async function countOpenDeliveries(client: Client, callerId: string): Promise<number> {
  const { count } = await client.workflow.count(
    and(equals(WORKFLOW_TYPE, WEBHOOK_DELIVERY_WORKFLOW), equals(CallerIdKey, callerId), equals(EXECUTION_STATUS, 'Running')),
  );
  return count;
}

/**
 * One page of a caller's failed deliveries, newest first, from visibility. A redelivered delivery has
 * several runs under one workflow id; only its newest run speaks for it, so a failed run that a later
 * redelivery superseded is left out (a page may then hold fewer than `limit`).
 */
export async function listFailedDeliveries(
  client: Client,
  namespace: string,
  callerId: string,
  page: { limit: number; cursor?: string; cursorKey: Buffer },
): Promise<Page<DeliveryRecord>> {
  const query = and(equals(WORKFLOW_TYPE, WEBHOOK_DELIVERY_WORKFLOW), equals(CallerIdKey, callerId), equals(DeliveryStatusKey, 'failed'));
  const found = await visibilityPage(client, namespace, { query, scope: `failed-deliveries\u0000${callerId}`, ...page }, (info) => {
    const record = parseRecord(deliveryMemo, info.memo, `The memo of delivery ${info.workflowId}`)[DELIVERY_MEMO_KEY];
    return record && { workflowId: info.workflowId, runId: info.runId, record };
  });
  const newest = await newestRuns(client, found.data.map((d) => d.workflowId));
  return { data: found.data.filter((d) => newest.get(d.workflowId) === d.runId).map((d) => d.record), next_cursor: found.next_cursor };
}

/** Delivery ids are `<run id>-wh<n>`: anything else is not a delivery to look up. */
const DELIVERY_ID = /^[A-Za-z0-9_-]{1,120}$/;

/** The newest run id of each delivery workflow id. */
async function newestRuns(client: Client, workflowIds: string[]): Promise<Map<string, string>> {
  const ids = [...new Set(workflowIds)].filter((id) => DELIVERY_ID.test(id));
  const newest = new Map<string, { runId: string; at: number }>();
  if (ids.length === 0) return new Map();
  const query = and(equals(WORKFLOW_TYPE, WEBHOOK_DELIVERY_WORKFLOW), isIn(WORKFLOW_ID, ids));
  for await (const info of client.workflow.list({ query })) {
    const at = info.startTime.getTime();
    const seen = newest.get(info.workflowId);
    if (!seen || at > seen.at) newest.set(info.workflowId, { runId: info.runId, at });
  }
  return new Map([...newest].map(([id, { runId }]) => [id, runId]));
}
