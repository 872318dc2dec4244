// The load test's webhook receiver: verifies every delivery's Standard Webhooks signature,
// de-duplicates on `webhook-id` as the README tells receivers to, and can be taken down (503) for a while.
// A run.input_required delivery's respond_url is kept for the caller that answers through it.
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { z } from 'zod';
import { startWebhookReceiver, type ReceivedWebhook, type Reply } from '../helpers/webhook-receiver.js';

const payloadSchema = z.object({
  run_id: z.string(),
  event: z.string(),
  status: z.string(),
  output: z.unknown(),
  delivery_id: z.string(),
  attempt: z.number(),
  input_request: z.object({ step: z.string() }).optional(),
  respond_url: z.string().optional(),
});

/** A delivery the receiver accepted (answered 200) the first time its webhook-id arrived. */
export interface AcceptedDelivery {
  webhookId: string;
  event: string;
  status: string;
  output: unknown;
  attempt: number;
  at: number;
  /** run.input_required: the step the run waits at, and the link that answers it. */
  step?: string;
  respondUrl?: string;
}

export interface ReceiverStats {
  requests: number;
  /** Answered 503 during an outage window. */
  refused_during_outage: number;
  accepted_unique: number;
  /** Accepted again under a webhook-id already seen: harmless, de-duplicated. */
  duplicates: number;
  bad_signatures: number;
}

export interface DedupReceiver {
  url: string;
  secret: string;
  /** Answers 503 to every request for the next `ms`. */
  outage(ms: number): void;
  /** Resolves with the run's first accepted delivery (of those `matches` picks); rejects after `timeoutMs`. */
  delivered(runId: string, timeoutMs: number, matches?: (delivery: AcceptedDelivery) => boolean): Promise<AcceptedDelivery>;
  /** Every distinct delivery (by webhook-id) accepted for a run. */
  deliveriesOf(runId: string): AcceptedDelivery[];
  /** Runs the receiver accepted deliveries for. */
  runIds(): string[];
  stats(): ReceiverStats;
  close(): Promise<void>;
}

export async function startDedupReceiver(): Promise<DedupReceiver> {
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const verifier = new Webhook(secret);
  const byRun = new Map<string, Map<string, AcceptedDelivery>>();
  const seenIds = new Set<string>();
  /** Per run, the callers waiting for a delivery: each takes the first it matches and says whether it did. */
  const waiters = new Map<string, Set<(delivery: AcceptedDelivery) => boolean>>();
  const stats: ReceiverStats = { requests: 0, refused_during_outage: 0, accepted_unique: 0, duplicates: 0, bad_signatures: 0 };
  let outageUntil = 0;

  const answer = (request: ReceivedWebhook): Reply => {
    stats.requests++;
    if (Date.now() < outageUntil) {
      stats.refused_during_outage++;
      return { status: 503 };
    }
    const header = (name: string) => String(request.headers[name] ?? '');
    let payload: z.infer<typeof payloadSchema>;
    try {
      verifier.verify(request.body, { 'webhook-id': header('webhook-id'), 'webhook-timestamp': header('webhook-timestamp'), 'webhook-signature': header('webhook-signature') });
      payload = payloadSchema.parse(request.json);
    } catch {
      stats.bad_signatures++;
      return { status: 400 };
    }
    const webhookId = header('webhook-id');
    if (seenIds.has(webhookId)) {
      stats.duplicates++;
      return { status: 200 };
    }
    seenIds.add(webhookId);
    stats.accepted_unique++;
    const delivery: AcceptedDelivery = {
      webhookId,
      event: payload.event,
      status: payload.status,
      output: payload.output,
      attempt: payload.attempt,
      at: request.at,
      ...(payload.input_request && { step: payload.input_request.step }),
      ...(payload.respond_url !== undefined && { respondUrl: payload.respond_url }),
    };
    const ofRun = byRun.get(payload.run_id) ?? new Map<string, AcceptedDelivery>();
    ofRun.set(webhookId, delivery);
    byRun.set(payload.run_id, ofRun);
    const waiting = waiters.get(payload.run_id);
    if (waiting) {
      for (const wake of waiting) if (wake(delivery)) waiting.delete(wake);
      if (waiting.size === 0) waiters.delete(payload.run_id);
    }
    return { status: 200 };
  };

  const receiver = await startWebhookReceiver(answer);
  return {
    url: receiver.url,
    secret,
    outage(ms) {
      outageUntil = Date.now() + ms;
    },
    delivered(runId, timeoutMs, matches = () => true) {
      const first = [...(byRun.get(runId)?.values() ?? [])].find(matches);
      if (first) return Promise.resolve(first);
      return new Promise((resolve, reject) => {
        const wake = (delivery: AcceptedDelivery) => {
          if (!matches(delivery)) return false;
          clearTimeout(timer);
          resolve(delivery);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.get(runId)?.delete(wake);
          reject(new Error(`no webhook delivery for ${runId} within ${Math.round(timeoutMs / 1000)} s`));
        }, timeoutMs);
        const set = waiters.get(runId) ?? new Set();
        set.add(wake);
        waiters.set(runId, set);
      });
    },
    deliveriesOf: (runId) => [...(byRun.get(runId)?.values() ?? [])],
    runIds: () => [...byRun.keys()],
    stats: () => ({ ...stats }),
    close: () => receiver.close(),
  };
}
