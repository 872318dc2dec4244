import type { Sinks } from '@temporalio/workflow';
import type { z } from 'zod';
import type {
  AGENT_STATUSES,
  DELIVERY_STATUSES,
  OPEN_STATUSES,
  RUN_ERROR_CODES,
  RUN_STATUSES,
  WEBHOOK_EVENTS,
  WEBHOOK_EVENT_FILTERS,
  agentFailureDetailsSchema,
  agentStateSchema,
  inputRequestSchema,
  deliveryAttemptSchema,
  deliveryRecordSchema,
  rerunOfSchema,
  rerunBatchSchema,
  rerunFilterSchema,
  rerunResultSchema,
  runErrorSchema,
  runStateSchema,
  webhookPayloadSchema,
} from '../records/schemas.js';
// Wire types shared by the workflow, the activities and the API. Types only: the workflow bundle
// imports this file, so it must stay free of Node imports and side effects. What the workflows write
// into Temporal is defined by the zod schemas in src/records/schemas.ts; those types are inferred here.

export type RunStatus = (typeof RUN_STATUSES)[number];
/** How a run ended: every status but those of a run still open. */
export type EndStatus = Exclude<RunStatus, (typeof OPEN_STATUSES)[number]>;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

/** Stable codes a run can end with; the API maps them to HTTP statuses. */
export type RunErrorCode = (typeof RUN_ERROR_CODES)[number];

export type RunError = z.infer<typeof runErrorSchema>;

export interface RetryPlan {
  maxAttempts: number;
  initialIntervalMs: number;
  backoff: number;
  maxIntervalMs: number;
}

/** One agent as fixed at run start; `with` still holds unresolved `{{...}}` templates. */
export interface AgentPlan {
  name: string;
  kind: string;
  timeoutMs: number;
  heartbeatTimeoutMs: number;
  retry: RetryPlan;
  with: Record<string, unknown>;
  /** Runs as a local activity (`execution: local`): absent on agents that run as activities, and on runs from before it existed. */
  local?: true;
  /** Set for an input step (`kind: input`): the workflow waits for a person's answer instead of running an activity. */
  input?: InputStepPlan;
  /** Top-level `with` fields the workflow renders as TextPart lists (see the kind's `splitFields`); absent in runs started before it existed. */
  splitFields?: string[];
}

/** An input step as fixed at run start; `prompt` still holds unresolved templates. */
export interface InputStepPlan {
  prompt: string;
  /** JSON Schema of the answer. */
  schema: Record<string, unknown>;
  timeoutMs: number;
  onTimeout: 'fail' | 'continue';
  /** The answer used when the step times out with `onTimeout: 'continue'`. */
  default?: unknown;
}

/** What POST /runs/{id}/input (or a respond_url) hands the run's `provideInput` update. */
export interface InputAnswer {
  step: string;
  value: unknown;
  answeredBy: 'caller' | 'link';
  /** Fingerprint of the request, answered back so a repeated Idempotency-Key with another body is told apart. */
  requestHash?: string;
}

/** The update that answered an input step, as the workflow keeps it in the step's agent entry. */
export interface InputAnswerRecord {
  id: string;
  hash: string | null;
}

/** What the `provideInput` update answers once it is accepted. */
export interface InputAccepted {
  step: string;
  answered_by: 'caller' | 'link';
  request_hash: string | null;
  /** When the step started waiting (ISO 8601); absent from runs before it was answered back. */
  waiting_since?: string;
}

/** The chain version a run executes. It travels in the workflow input so chain edits never touch running runs. */
export interface RunPlan {
  chain: string;
  version: number;
  timeoutMs: number;
  maxCost?: number;
  output?: string;
  agents: AgentPlan[];
}

export interface ChainRunRequest {
  runId: string;
  callerId: string;
  plan: RunPlan;
  input: unknown;
  /** Per-run budget from the start request; the lower of it and the chain's own applies. */
  maxCost?: number;
  webhook?: RunWebhook;
  /** Cancel the run as `orphaned` when no touch arrives for this long; unset for sync runs and runs with a webhook. */
  orphanTimeoutMs?: number;
  /**
   * `sink`: the run's end is counted through the `runs` workflow sink, which leaves nothing in history.
   * Runs started before it existed counted it with a local activity (a marker event); their histories
   * lack this field, so replaying them still takes that path.
   */
  endMetric?: 'sink';
  /**
   * The service's maximum run lifetime, a wall-clock bound apart from the chain's timeout (which time
   * spent waiting at input steps does not count against). Absent on runs from before input steps: their
   * plan's timeout already folds the lifetime in.
   */
  lifetimeMs?: number;
  /** Set for a rerun: the agents before `of.from` are not run; their recorded outputs and states are reused. */
  rerun?: RerunPlan;
}

/** What a rerun takes over from the run it re-runs: one entry per agent before `of.from`, in order. */
export interface RerunPlan {
  of: RerunOf;
  reused: ReusedAgent[];
}

/** An agent of the original run whose output a rerun reuses, with its entry as that run recorded it. */
export interface ReusedAgent {
  output: unknown;
  state: AgentState;
}

/** Workflow sinks: what a workflow reports to its worker without a history event (not called on replay). */
export interface RunSinks extends Sinks {
  runs: {
    /** The run's state as this activation leaves it, for polls answered in the worker's own process. */
    progressed(state: RunState): void;
    ended(end: { chain: string; status: RunStatus }): void;
  };
}

export type AgentState = z.infer<typeof agentStateSchema>;
export type InputRequest = z.infer<typeof inputRequestSchema>;

/** What the `progress` query answers and what a closed run leaves in its memo under `result`. */
export type RunState = z.infer<typeof runStateSchema>;
export type RerunOf = z.infer<typeof rerunOfSchema>;
export type RerunBatch = z.infer<typeof rerunBatchSchema>;
export type RerunFilter = z.infer<typeof rerunFilterSchema>;
export type RerunResult = z.infer<typeof rerunResultSchema>;

/** The chain version a batch's reruns run, as the API resolved it when the batch was created. */
export interface RerunTargetChain {
  name: string;
  version: number;
  plan: RunPlan;
}

/** What the API starts a rerun batch with. */
export interface RerunBatchRequest {
  batchId: string;
  callerId: string;
  filter: RerunFilter;
  /** The first agent each rerun runs again, by name. */
  from: string;
  target: RerunTargetChain;
  /** Reruns started per second at most. */
  ratePerSecond: number;
  /**
   * The caller's concurrent-run limit when the batch started: reruns start only into the room the
   * caller has below it, so a batch never takes a caller past its limit. Absent on batches from before
   * it was kept (their histories replay the rate-only path).
   */
  maxConcurrentRuns?: number;
}

/** One rerun of a batch, as the batch's activity starts it. */
export interface BatchRerunRequest {
  batchId: string;
  callerId: string;
  runId: string;
  from: string;
  target: RerunTargetChain;
}

/** What one agent activity hands back. */
export interface AgentResult {
  output: unknown;
  /** The streamed text; for JSON outputs, its JSON text. */
  text: string;
  cost: number;
  /** Output tokens as the model reported them, else the number of chunks emitted. */
  tokens: number;
  attempt: number;
  /** Input tokens, for agents that called a model (absent before they were recorded). */
  inputTokens?: number;
  /** The model that answered (`provider:model`), for agents that called one. */
  model?: string;
  fallbackUsed?: boolean;
  /** How often the attempt restarted its output (fallbacks); `text` is the last start's. Absent: 0. */
  restart?: number;
  /** Local activities only: which agent this is, for streams that read it from the history's marker. */
  agent?: string;
  index?: number;
  duration_ms?: number;
}

/** Cumulative progress an agent activity heartbeats; streaming readers diff `text` to find new output. */
export interface AgentHeartbeat {
  text: string;
  tokens: number;
  cost: number;
  attempt: number;
  /**
   * Restarts of this attempt's output so far (a fallback model took over): `text` is the output since
   * the last one. Absent in heartbeats from before fallbacks: 0.
   */
  restart?: number;
  /** The model producing `text`, once the attempt restarted. */
  model?: string;
  /** Why the model before it failed, once the attempt restarted. */
  restartError?: string;
}

/** Extra facts an agent failure carries to the workflow in ApplicationFailure details. */
export type AgentFailureDetails = z.infer<typeof agentFailureDetailsSchema>;

export interface AgentRequest {
  runId: string;
  index: number;
  agent: string;
  kind: string;
  with: Record<string, unknown>;
  /** The run's chain, for the agent's metrics; absent on attempts scheduled before it was passed. */
  chain?: string;
  /** USD the run may still spend (its budget less what it spent so far); absent when it has no budget, and on older runs. */
  budget?: number;
}

/** Events a webhook may subscribe to, as named in the request's `events`. */
export type WebhookEventFilter = (typeof WEBHOOK_EVENT_FILTERS)[number];
/** The `event` field of a delivered payload. */
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export interface WebhookPolicy {
  maxAttempts: number;
  initialIntervalMs: number;
  maxIntervalMs: number;
  timeoutMs: number;
  /**
   * How long a delivery record stayed open for redelivery after its last round. Deliveries started
   * before a delivery closed after its round still wait this long; new ones ignore it.
   */
  keepMs: number;
}

/** A run's webhook as it travels in workflow input: the secret is sealed, never in clear. */
export interface RunWebhook {
  url: string;
  sealedSecret: string;
  events: WebhookEventFilter[];
  policy: WebhookPolicy;
}

/** The payload of one delivery, minus the per-attempt fields (`attempt`). */
export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;

export interface DeliveryRequest {
  deliveryId: string;
  callerId: string;
  url: string;
  sealedSecret: string;
  policy: WebhookPolicy;
  payload: WebhookPayload;
  /**
   * Set on a redelivery: a new run of the same workflow id that continues this record (same
   * webhook-id, attempts numbered on), and how many redeliveries came before it.
   */
  redelivery?: { record: DeliveryRecord; count: number };
}

export type DeliveryAttempt = z.infer<typeof deliveryAttemptSchema>;

export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** A delivery's record, answered by GET /runs/{id}/deliveries; kept in the delivery workflow's memo. */
export type DeliveryRecord = z.infer<typeof deliveryRecordSchema>;

/** What the delivery activity gets for one round of attempts. */
export interface DeliverInput {
  deliveryId: string;
  /** The run's owner: a respond_url answers on its behalf. Absent on deliveries scheduled before input steps. */
  callerId?: string;
  url: string;
  sealedSecret: string;
  payload: WebhookPayload;
  /** Attempts made in earlier rounds: numbering continues across redeliveries. */
  priorAttempts: number;
  timeoutMs: number;
  initialIntervalMs: number;
  maxIntervalMs: number;
}
