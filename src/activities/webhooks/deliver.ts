import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { webhookAttempts } from '../../metrics.js';
import { ATTR } from '../../telemetry/attributes.js';
import { withHttpClientSpan } from '../../telemetry/http-client.js';
import { VERSION } from '../../version.js';
import { postOnce } from '../../webhooks/post.js';
import type { ResolveHost } from '../../webhooks/resolve.js';
import type { SecretBox } from '../../webhooks/secret-box.js';
import type { RespondLinks } from '../../security/respond-links.js';
import { signatureHeaders } from '../../webhooks/sign.js';
import { attemptSignal } from '../../workflows/definitions.js';
import type { DeliverInput, DeliveryAttempt, WebhookPayload } from '../../workflows/types.js';

export interface DeliverDeps {
  client: Client;
  secrets: SecretBox;
  respondLinks: RespondLinks;
  allowPrivate: boolean;
  resolve: ResolveHost;
}

/**
 * One attempt of one webhook delivery (Temporal retries it by the delivery's policy). The exact bytes
 * signed are the bytes sent. Each attempt is reported to the delivery workflow as it happens. 2xx is
 * success; 410 Gone stops retrying; a Retry-After on 429/503 sets the next delay within the policy's bounds.
 */
export function createDeliverWebhook(deps: DeliverDeps) {
  return async function deliverWebhook(input: DeliverInput): Promise<DeliveryAttempt> {
    const context = Context.current();
    const attempt = input.priorAttempts + context.info.attempt;
    const body = JSON.stringify({ ...withRespondUrl(input, deps.respondLinks), attempt });
    const now = new Date();
    const headers = {
      'content-type': 'application/json',
      'user-agent': `chainport-webhooks/${VERSION}`,
      ...signatureHeaders(deps.secrets.open(input.sealedSecret), input.deliveryId, Math.floor(now.getTime() / 1000), body),
    };
    const result = await withHttpClientSpan('POST', new URL(input.url), { [ATTR.deliveryId]: input.deliveryId }, () =>
      postOnce(input.url, headers, body, { timeoutMs: input.timeoutMs, signal: context.cancellationSignal, allowPrivate: deps.allowPrivate, resolve: deps.resolve }),
    );
    const record: DeliveryAttempt = { attempt, at: now.toISOString(), status_code: result.statusCode, error: result.error, duration_ms: result.durationMs };
    await deps.client.workflow
      .getHandle(input.deliveryId)
      .signal(attemptSignal, record)
      .catch((err: unknown) => context.log.warn('could not record a webhook attempt', { deliveryId: input.deliveryId, error: String(err) }));
    if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason;
    webhookAttempts.inc({ outcome: result.error === null ? 'delivered' : result.statusCode === 410 ? 'gone' : 'failed' });
    if (result.error === null) return record;
    if (result.statusCode === 410) {
      throw ApplicationFailure.create({ type: 'webhook_gone', message: 'Receiver answered 410 Gone: not retrying', nonRetryable: true, details: [record] });
    }
    const honoursRetryAfter = (result.statusCode === 429 || result.statusCode === 503) && result.retryAfterMs !== undefined;
    throw ApplicationFailure.create({
      type: 'webhook_failed',
      message: result.error,
      details: [record],
      nextRetryDelay: honoursRetryAfter ? Math.min(input.maxIntervalMs, Math.max(input.initialIntervalMs, result.retryAfterMs!)) : undefined,
    });
  };
}

/**
 * A run.input_required payload gains its respond_url here, not in the workflow: the link is a
 * credential, so it is sent to the receiver but never stored in history. Every attempt sends the same link.
 */
function withRespondUrl(input: DeliverInput, links: RespondLinks): WebhookPayload {
  const { payload } = input;
  if (payload.event !== 'run.input_required' || !payload.input_request || input.callerId === undefined) return payload;
  const target = { runId: payload.run_id, step: payload.input_request.step, callerId: input.callerId };
  return { ...payload, respond_url: links.url(target, new Date(payload.input_request.expires_at)) };
}
