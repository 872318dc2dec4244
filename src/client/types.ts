// The client's types, inferred from the server's own zod schemas and event types. Type-only imports:
// they vanish at build time, so a browser bundle of the client carries no server code.
import type { z } from 'zod';
import type {
  chainSchema,
  deliverySchema,
  listRunsQuery,
  problemSchema,
  rerunBatchAcceptedSchema,
  rerunBatchRequest,
  rerunBatchSchema,
  runAcceptedSchema,
  runListSchema,
  runSchema,
  webhookRequest,
} from '../api/schemas.js';
import type { RunEventBody } from '../runs/stream/events.js';
import type { WebhookPayload as DeliveredPayload } from '../workflows/types.js';

/** A run as `GET /runs/{run_id}` (and the sync route) answers it. */
export type Run = z.infer<typeof runSchema>;
export type RunStatus = Run['status'];
/** One agent of a run; in a rerun, the agents before `from` are `reused`: cost 0, their original cost as `reused_cost`. */
export type RunAgent = Run['agents'][number];
/** What a rerun re-runs: the original run and the first agent that ran again. */
export type RerunOf = NonNullable<Run['rerun_of']>;
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

/** Where a rerun starts: the first agent to run again, by name or by 0-based position. */
export type RerunStart = { from: string } | { fromIndex: number };
/** Which ended runs `rerunBatch()` re-runs, newest first, and from which agent. */
export interface RerunBatchFilter {
  /** The chain version whose runs are re-run, `name@version` (a bare name: its latest version). */
  chain: string;
  /** Only runs that ended this way; default `failed`. */
  status?: z.input<typeof rerunBatchRequest>['status'];
  /** The first agent each rerun runs again. */
  from: string;
  /** Only runs started at or after this time. */
  createdAfter?: Date | string;
  /** Only runs started before this time. */
  createdBefore?: Date | string;
  /** At most this many runs (1–1000, default 100). */
  limit?: number;
  /** The chain version the reruns run, `name@version`; `chain`'s by default. */
  targetChain?: string;
}
/** The `202` answer of `rerunBatch()`. */
export type RerunBatchAccepted = z.infer<typeof rerunBatchAcceptedSchema>;
/** A rerun batch as `rerunBatchStatus()` reads it: `total` is null until the runs are listed; `results` grow as reruns start. */
export type RerunBatch = z.infer<typeof rerunBatchSchema>;

/** One event of a run's stream, discriminated by `event`, with the `id` to resume after. */
export type RunStreamEvent = RunEventBody & { id: string };

/** The JSON body of one webhook delivery (what `verifyWebhook` returns). */
export type WebhookPayload = DeliveredPayload & { attempt: number };
