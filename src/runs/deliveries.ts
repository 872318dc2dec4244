import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { CallerIdKey, DeliveryStatusKey } from '../temporal/search-attributes.js';
import { visibilityPage, type Page } from './visibility.js';
import { DELIVERY_MEMO_KEY, redeliverSignal } from '../workflows/webhook-delivery.js';
import type { DeliveryRecord } from '../workflows/types.js';

/** A delivery's record from its memo (no worker needed); undefined when it no longer exists. */
export async function readDelivery(client: Client, deliveryId: string): Promise<{ record: DeliveryRecord; open: boolean } | undefined> {
  try {
    const description = await client.workflow.getHandle(deliveryId).describe();
    const record = description.memo?.[DELIVERY_MEMO_KEY] as DeliveryRecord | undefined;
    return record && { record, open: description.status.name === 'RUNNING' };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** Asks an open delivery to send again (same webhook-id, fresh timestamp and signature). */
export async function redeliver(client: Client, deliveryId: string): Promise<void> {
  await client.workflow.getHandle(deliveryId).signal(redeliverSignal);
}

/** One page of a caller's failed deliveries, newest first, from visibility. */
export async function listFailedDeliveries(
  client: Client,
  namespace: string,
  callerId: string,
  page: { limit: number; cursor?: string },
): Promise<Page<DeliveryRecord>> {
  const query = `WorkflowType = 'webhookDeliveryWorkflow' AND ${CallerIdKey.name} = '${callerId}' AND ${DeliveryStatusKey.name} = 'failed'`;
  return visibilityPage(client, namespace, { query, scope: `failed-deliveries\u0000${callerId}`, ...page }, (info) => info.memo?.[DELIVERY_MEMO_KEY] as DeliveryRecord | undefined);
}
