import type { Client } from '@temporalio/client';
import type { Config } from '../config.js';
import { rateLimitRejections } from '../metrics.js';
import type { DeliveryRecord } from '../workflows/types.js';
import { countOpenDeliveries, readDelivery, redeliver } from './deliveries.js';
import { LimitReachedError, NotFoundError } from './errors.js';
import { readOwnedRun } from './read.js';

/** The ids of a caller's run's webhook deliveries, oldest first. */
export async function runDeliveryIds(client: Client, runId: string, callerId: string): Promise<string[]> {
  const { state } = await readOwnedRun(client, runId, callerId);
  return state.deliveries ?? [];
}

/**
 * Sends one of a caller's run's deliveries again (`newest`: the last one it made), within the
 * caller's open-delivery limit and each delivery's redelivery limit.
 */
export async function resendDelivery(client: Client, config: Pick<Config, 'temporal' | 'webhooks'>, callerId: string, runId: string, which: string | 'newest'): Promise<DeliveryRecord> {
  const ids = await runDeliveryIds(client, runId, callerId);
  const deliveryId = which === 'newest' ? ids.at(-1) : ids.find((id) => id === which);
  if (!deliveryId) throw new NotFoundError(which === 'newest' ? `Run ${runId} has made no webhook delivery yet.` : `Run ${runId} has no delivery ${which}.`);
  const found = await readDelivery(client, deliveryId);
  if (!found) throw new NotFoundError(`Delivery ${deliveryId} is past its retention period.`);
  const { maxRedeliveries, maxOpenPerCaller } = config.webhooks;
  const open = await countOpenDeliveries(client, callerId);
  if (open >= maxOpenPerCaller) {
    throw limited(`You have ${open} webhook deliveries in progress (limit ${maxOpenPerCaller}). Redeliver once some have finished.`, 'open-deliveries', maxOpenPerCaller, 30);
  }
  const result = await redeliver(client, config.temporal, found, maxRedeliveries);
  if (result.outcome === 'limit_reached') {
    throw limited(`Delivery ${deliveryId} has been redelivered ${result.count} times, the most allowed (${maxRedeliveries}).`, 'redeliveries', maxRedeliveries, 3600);
  }
  return result.record;
}

function limited(message: string, policy: string, quota: number, retryAfterS: number): LimitReachedError {
  rateLimitRejections.inc({ limit: policy });
  return new LimitReachedError(message, policy, quota, retryAfterS);
}
