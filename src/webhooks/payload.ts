import { z } from 'zod';
import { webhookPayloadSchema } from '../records/schemas.js';
import type { WebhookEvent } from '../workflows/types.js';

/** What a receiver gets for `event`: the payload with that event, `attempt`, and for agent.completed the agent and its output. */
export function deliveredPayloadSchema(event: WebhookEvent): z.ZodObject {
  const delivered = webhookPayloadSchema.extend({
    event: z.literal(event),
    attempt: z.number().int().min(1).meta({ description: 'Which attempt this is (retries and redeliveries count on)' }),
  });
  return event === 'agent.completed' ? delivered.extend({ agent: z.string(), agent_output: z.unknown() }) : delivered.omit({ agent: true, agent_output: true });
}
