import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  patched,
  proxyActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { DELIVERY_MEMO_KEY, DeliveryStatusKey, attemptSignal, redeliverSignal } from './definitions.js';
import { isDeliveryAttempt } from './failure-details.js';
import type { DeliveryAttempt, DeliveryRecord, DeliveryRequest } from './types.js';

/**
 * Deliveries used to stay open for the retention period waiting for a redeliver signal; now a delivery
 * closes after its round. Histories recorded before keep replaying down the old path.
 */
const CLOSES_AFTER_ROUND = 'delivery-closes-after-round';

/**
 * One webhook delivery, started by a run (as an abandoned child, so a slow receiver never holds the
 * run up): one round of the retried `deliverWebhook` activity, then the workflow closes with the
 * record. A redelivery is a new run of the same workflow id that continues the record.
 */
export async function webhookDeliveryWorkflow(request: DeliveryRequest): Promise<DeliveryRecord> {
  const record = new KeptRecord(request);
  let redeliverRequested = false;
  setHandler(attemptSignal, (attempt) => record.addAttempt(attempt));
  setHandler(redeliverSignal, () => void (redeliverRequested = true));
  const deliverWebhook = deliveryActivity(request.policy);
  const round = () => {
    redeliverRequested = false;
    return deliveryRound(request, record, deliverWebhook);
  };

  if (patched(CLOSES_AFTER_ROUND)) {
    // A redelivery asked for while a round runs is one more round before the delivery closes.
    do await round();
    while (redeliverRequested);
    return record.value;
  }
  for (;;) {
    await round();
    if (!(await condition(() => redeliverRequested, request.policy.keepMs))) return record.value;
  }
}

/** The delivery record, kept in the workflow's memo (and its status in DeliveryStatus) for readers. */
class KeptRecord {
  readonly value: DeliveryRecord;

  constructor(request: DeliveryRequest) {
    this.value = request.redelivery?.record ?? {
      delivery_id: request.deliveryId,
      run_id: request.payload.run_id,
      event: request.payload.event,
      url: request.url,
      status: 'pending',
      attempts: [],
      created_at: new Date().toISOString(),
    };
  }

  setStatus(status: DeliveryRecord['status']): void {
    this.value.status = status;
    upsertMemo({ [DELIVERY_MEMO_KEY]: this.value });
    upsertSearchAttributes([{ key: DeliveryStatusKey, value: status }]);
  }

  addAttempt(attempt: DeliveryAttempt): void {
    // The last attempt arrives both as a signal and with the activity's outcome; keep one.
    if (this.value.attempts.some((a) => a.attempt === attempt.attempt)) return;
    this.value.attempts.push(attempt);
    this.value.attempts.sort((a, b) => a.attempt - b.attempt);
    upsertMemo({ [DELIVERY_MEMO_KEY]: this.value });
  }
}

/** The retried `deliverWebhook` activity under the delivery's policy. */
function deliveryActivity(policy: DeliveryRequest['policy']): Activities['deliverWebhook'] {
  return proxyActivities<Activities>({
    // The activity cuts the HTTP exchange at policy.timeoutMs; the margin covers reporting the attempt.
    startToCloseTimeout: policy.timeoutMs + 5_000,
    retry: {
      maximumAttempts: policy.maxAttempts,
      initialInterval: policy.initialIntervalMs,
      backoffCoefficient: 2,
      maximumInterval: policy.maxIntervalMs,
    },
  }).deliverWebhook;
}

/** One round: the activity's attempts until one is delivered or its retries run out; the record says which. */
async function deliveryRound(request: DeliveryRequest, record: KeptRecord, deliverWebhook: Activities['deliverWebhook']): Promise<void> {
  const { policy } = request;
  record.setStatus('pending');
  try {
    record.addAttempt(
      await deliverWebhook({
        deliveryId: request.deliveryId,
        callerId: request.callerId,
        url: request.url,
        sealedSecret: request.sealedSecret,
        payload: request.payload,
        priorAttempts: record.value.attempts.length,
        timeoutMs: policy.timeoutMs,
        initialIntervalMs: policy.initialIntervalMs,
        maxIntervalMs: policy.maxIntervalMs,
      }),
    );
    record.setStatus('delivered');
  } catch (err) {
    const last = lastAttempt(err);
    if (last) record.addAttempt(last);
    record.setStatus('failed');
  }
}

/** The last attempt the delivery activity put in its failure's details; undefined when it is not there. */
function lastAttempt(err: unknown): DeliveryAttempt | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  if (!(cause instanceof ApplicationFailure)) return undefined;
  const attempt: unknown = cause.details?.[0];
  return isDeliveryAttempt(attempt) ? attempt : undefined;
}
