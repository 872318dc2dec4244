import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { CallerSlots } from '../api/caller-slots.js';
import { mayUseChain, type Caller } from '../api/callers.js';
import { MAX_IDEMPOTENCY_KEY, type WebhookRequest } from '../api/schemas.js';
import type { ChainCatalog, ChainVersion } from '../chains/catalog.js';
import type { Config } from '../config.js';
import { rateLimitRejections, runsStarted } from '../metrics.js';
import type { ResolveHost } from '../webhooks/resolve.js';
import type { SecretBox } from '../webhooks/secret-box.js';
import { parseRecord } from '../temporal/payloads.js';
import { generateSecret } from '../webhooks/sign.js';
import { refuseWebhookUrl } from '../webhooks/ssrf.js';
import type { RerunOf, RerunPlan, RunWebhook } from '../workflows/types.js';
import { LimitReachedError, RunRequestError } from './errors.js';
import { describeWorkflow, rememberExecution } from './describe.js';
import { idempotentRunId, requestFingerprint } from './idempotency.js';
import type { RunningRuns } from './running-runs.js';
import { runMemoSchema, startRun, type RunMemo } from './start.js';

/** What starting a run needs: the API hands its own dependencies, a script or the bench could hand these alone. */
export interface LaunchDeps {
  config: Config;
  client: Client;
  catalog: ChainCatalog;
  runningRuns: RunningRuns;
  /** Bounds each caller's concurrent webhook host look-ups. */
  slots: Pick<CallerSlots, 'with'>;
  resolveHost: ResolveHost;
  secrets: SecretBox;
}

export interface LaunchRequest {
  input: Record<string, unknown>;
  max_cost?: number;
  webhook?: WebhookRequest;
  /** The Idempotency-Key, when the caller sent one. */
  idempotencyKey?: string;
  /** For a rerun: the run it re-runs and the agents it reuses (see rerun.ts). */
  rerun?: RerunPlan;
}

export interface Launched {
  runId: string;
  chain: ChainVersion;
  /**
   * The webhook as accepted, with the secret only when the server generated it: without an
   * Idempotency-Key shown once; with one, the run's own secret on every matching repeat.
   */
  webhook?: { url: string; events: WebhookRequest['events']; secret?: string };
  /** Whether the run is cancelled as orphaned when nobody polls or watches it; only then do waits touch it. */
  orphanable: boolean;
  /** For a rerun: the run it re-runs and the agent it re-ran from. */
  rerunOf?: RerunOf;
}

/** Resolves `name` / `name@version` for a caller, or refuses it as chain_not_found, forbidden or chain_unavailable. */
export function resolveChain(catalog: ChainCatalog, caller: Caller, ref: string): ChainVersion {
  const chain = catalog.resolve(ref);
  if (!chain) throw new RunRequestError('chain_not_found', `No chain "${ref}". GET /api/v1/chains lists the chains you can run.`);
  if (!mayUseChain(caller, chain.name)) throw new RunRequestError('forbidden', `Your API key may not run the chain "${chain.name}".`);
  if (chain.unavailable) throw new RunRequestError('chain_unavailable', `The chain "${chain.name}" cannot run here: ${chain.unavailable}.`);
  return chain;
}

/**
 * Starts a run, or with an Idempotency-Key attaches to the run that key already made (running or
 * ended, for the retention period). A key reused with a different input, webhook or max_cost is 422.
 * Every request of one key answers from the run itself, so all see the same generated webhook secret
 * (the one the run signs with), however they race. New runs count against the caller's concurrent-run limit.
 */
export async function launchRun(deps: LaunchDeps, caller: Caller, chainRef: string, request: LaunchRequest, opts: { orphanable?: boolean } = {}): Promise<Launched> {
  const chain = resolveChain(deps.catalog, caller, chainRef);
  const key = request.idempotencyKey ?? '';
  if (key.length > MAX_IDEMPOTENCY_KEY) throw new RunRequestError('invalid_request', `Idempotency-Key must be at most ${MAX_IDEMPOTENCY_KEY} characters.`);
  // The chain is part of what a key names: the same key and body sent to another chain is a conflict.
  const requestHash = key ? requestFingerprint({ chain: chainRef, input: request.input, webhook: request.webhook, max_cost: request.max_cost, rerun_of: request.rerun?.of }) : undefined;

  const input = structuredClone(request.input);
  const problems = chain.validateInput(input);
  if (problems.length > 0) {
    throw new RunRequestError('validation_failed', `The input does not match the input schema of ${chain.name}@${chain.version}.`, {
      errors: problems.map((p) => ({ path: `input${p.path === '/' ? '' : p.path.replaceAll('/', '.')}`, message: p.message })),
    });
  }

  const runId = key ? idempotentRunId(caller.id, key) : undefined;
  if (runId) {
    // A repeat attaches whatever the caller's limits: it starts nothing.
    const existing = await existingRun(deps.client, runId);
    if (existing) return attach(existing, runId, requestHash, deps, chainRef, request.webhook);
  }
  const webhook = request.webhook && (await acceptWebhook(deps, caller, request.webhook));
  // Async and stream runs nobody polls or watches are cancelled as orphaned; a webhook counts as watching.
  const orphanTimeoutMs = opts.orphanable && !webhook ? deps.config.runs.orphanTimeoutMs : undefined;
  await admit(deps, caller);
  try {
    const handle = await startRun(deps.client, deps.config, chain, { input, callerId: caller.id, maxCost: request.max_cost, webhook: webhook?.run, orphanTimeoutMs, runId, requestHash, generatedSecret: webhook?.generatedSecret, rerun: request.rerun });
    runsStarted.inc({ chain: chain.name });
    rememberExecution(deps.client, handle.workflowId, handle.firstExecutionRunId);
    return { runId: handle.workflowId, chain, webhook: webhook?.shown, orphanable: orphanTimeoutMs !== undefined, ...(request.rerun && { rerunOf: request.rerun.of }) };
  } catch (err) {
    // Another request with the same key started the run between our look and our start: attach to it.
    if (!(runId && err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  // Concurrent requests with one key race to start and all but one attach: check the body matches, and
  // show the secret of the run that won, not the one this request generated.
  const started = await existingRun(deps.client, runId);
  if (!started) throw new Error(`Run ${runId} was started but cannot be described`);
  return attach(started, runId, requestHash, deps, chainRef, request.webhook);
}

/**
 * Checks a webhook URL (form, and every address its host resolves to, within the caller's look-up
 * slots) and seals its secret — generating one when the caller gave none — for the workflow input.
 */
async function acceptWebhook(
  deps: LaunchDeps,
  caller: Caller,
  webhook: WebhookRequest,
): Promise<{ run: RunWebhook; shown: NonNullable<Launched['webhook']>; generatedSecret?: string }> {
  const refused = await deps.slots.with(caller.id, 'lookups', () => refuseWebhookUrl(webhook.url, deps.config.webhooks.allowPrivate, deps.resolveHost));
  if (refused) throw new RunRequestError('validation_failed', `The webhook URL ${refused}.`, { errors: [{ path: 'webhook.url', message: refused }] });
  const secret = webhook.secret ?? generateSecret();
  const sealedSecret = deps.secrets.seal(secret);
  const { maxAttempts, initialIntervalMs, maxIntervalMs, timeoutMs } = deps.config.webhooks;
  return {
    ...(webhook.secret === undefined && { generatedSecret: sealedSecret }),
    run: {
      url: webhook.url,
      sealedSecret,
      events: webhook.events,
      policy: { maxAttempts, initialIntervalMs, maxIntervalMs, timeoutMs, keepMs: deps.config.retentionMs },
    },
    shown: { url: webhook.url, events: webhook.events, ...(webhook.secret === undefined && { secret }) },
  };
}

async function existingRun(client: Client, runId: string): Promise<RunMemo | undefined> {
  const description = await describeWorkflow(client, runId);
  return description && parseRecord(runMemoSchema, description.memo, `The memo of run ${runId}`);
}

function attach(memo: RunMemo, runId: string, requestHash: string | undefined, deps: LaunchDeps, chainRef: string, webhook: WebhookRequest | undefined): Launched {
  if (memo.request_hash !== requestHash) {
    throw new RunRequestError('idempotency_conflict', 'This Idempotency-Key was already used with a different request body. Use a new key for a new run.', {
      run_id: runId,
    });
  }
  const chain = deps.catalog.resolve(`${memo.chain}@${memo.chain_version}`) ?? deps.catalog.resolve(chainRef);
  if (!chain) throw new RunRequestError('chain_not_found', `The chain of run ${runId} is no longer loaded.`);
  // Runs from before `orphanable` was kept count as orphanable, so their watchers keep touching them.
  const orphanable = memo.orphanable ?? true;
  const rerunOf = memo.rerun_of && { rerunOf: memo.rerun_of };
  if (!webhook) return { runId, chain, orphanable, ...rerunOf };
  const secret = memo.webhook_secret === undefined ? undefined : deps.secrets.open(memo.webhook_secret);
  return { runId, chain, orphanable, ...rerunOf, webhook: { url: webhook.url, events: webhook.events, ...(secret !== undefined && { secret }) } };
}

/** Counts the new run against the caller's concurrent-run limit, or refuses it when the limit is reached. */
async function admit(deps: LaunchDeps, caller: Caller): Promise<void> {
  const admission = await deps.runningRuns.admit(caller.id, caller.maxConcurrentRuns);
  if (admission.admitted) return;
  rateLimitRejections.inc({ limit: 'concurrent-runs' });
  const limit = caller.maxConcurrentRuns;
  // Runs end rather than a window passing: a short wait is worth trying.
  throw new LimitReachedError(`You already have ${admission.running} runs in progress (limit ${limit}). Wait for one to end.`, 'concurrent-runs', limit, 5, 1);
}
