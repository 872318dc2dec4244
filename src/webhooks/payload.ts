import { z } from 'zod';
import { RUN_STATUSES, runErrorSchema } from '../runs/outcome.js';

/** The `event` of a delivered payload, one per webhook the OpenAPI document lists. */
export const WEBHOOK_EVENTS = ['chain.completed', 'chain.failed', 'chain.timed_out', 'chain.cancelled', 'agent.completed'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/**
 * The body of one delivery as the run's workflow builds it (the delivery activity adds `attempt`).
 * `WebhookPayload` is inferred from it and the OpenAPI document's `webhooks` are generated from it.
 */
export const webhookPayloadSchema = z.object({
  event: z.enum(WEBHOOK_EVENTS),
  run_id: z.string(),
  chain: z.string(),
  chain_version: z.number().int(),
  status: z.enum(RUN_STATUSES),
  output: z.unknown().meta({ description: "The run's output once completed, else null" }),
  error: runErrorSchema.nullable(),
  cost: z.number().meta({ description: 'USD spent so far' }),
  duration_ms: z.number().int(),
  timestamp: z.string().meta({ description: 'When the event happened; the same on every attempt, so receivers can order by it' }),
  delivery_id: z.string().meta({ description: 'Also the webhook-id header: stable across retries and redeliveries, de-duplicate on it' }),
  agent: z.string().optional(),
  agent_output: z.unknown().optional(),
});
export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;

/** What a receiver gets for `event`: the payload with that event, `attempt`, and for agent.completed the agent and its output. */
export function deliveredPayloadSchema(event: WebhookEvent): z.ZodObject {
  const delivered = webhookPayloadSchema.extend({
    event: z.literal(event),
    attempt: z.number().int().min(1).meta({ description: 'Which attempt this is (retries and redeliveries count on)' }),
  });
  return event === 'agent.completed' ? delivered.extend({ agent: z.string(), agent_output: z.unknown() }) : delivered.omit({ agent: true, agent_output: true });
}
