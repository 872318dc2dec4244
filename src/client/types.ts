// The client's types, inferred from the server's own zod schemas and event types. Type-only imports:
// they vanish at build time, so a browser bundle of the client carries no server code.
import type { z } from 'zod';
import type { chainSchema, deliverySchema, listRunsQuery, problemSchema, runAcceptedSchema, runListSchema, runSchema, webhookRequest } from '../api/schemas.js';
import type { RunEventBody } from '../runs/stream/events.js';
import type { WebhookPayload as DeliveredPayload } from '../workflows/types.js';

/** A run as `GET /runs/{run_id}` (and the sync route) answers it. */
export type Run = z.infer<typeof runSchema>;
export type RunStatus = Run['status'];
/** The `202` answer of `start()`; `webhook.secret` is there only when the server generated it (shown once). */
export type RunAccepted = z.infer<typeof runAcceptedSchema>;
/** One page of `GET /runs`; pass `next_cursor` back as `cursor` (`list()` does). */
export type RunPage = z.infer<typeof runListSchema>;
export type RunSummary = RunPage['data'][number];
export type Chain = z.infer<typeof chainSchema>;
export type Delivery = z.infer<typeof deliverySchema>;
/** An RFC 9457 problem document, as every error response carries. */
export type Problem = z.infer<typeof problemSchema>;
/** A chain's input: validated by the server against the chain's `input_schema`. */
export type ChainInput = Record<string, unknown>;
/** `events` may be left out (the server's default set); `secret` too, except on the stream route. */
export type WebhookOptions = z.input<typeof webhookRequest>;
/** Filters of `list()`; `limit` is the page size (1–100, default 20). */
export type ListFilter = Partial<z.output<typeof listRunsQuery>>;

/** One event of a run's stream, discriminated by `event`, with the `id` to resume after. */
export type RunStreamEvent = RunEventBody & { id: string };

/** The JSON body of one webhook delivery (what `verifyWebhook` returns). */
export type WebhookPayload = DeliveredPayload & { attempt: number };
