import type { Client } from '@temporalio/client';
import type { ChainCatalog } from '../chains/catalog.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { RunReaders } from '../runs/stream/registry.js';
import type { CallerRegistry } from './callers.js';
import type { RateLimiters } from './middleware/rate-limit.js';
import type { SecretBox } from '../webhooks/secret-box.js';
import type { DurationEstimates } from '../runs/estimates.js';
import type { PollCache } from '../runs/poll-cache.js';
import type { RunningRuns } from '../runs/running-runs.js';
import type { RunToucher } from './touch.js';
import type { StreamTokens } from './stream-tokens.js';
import type { RespondLinks } from '../security/respond-links.js';
import type { CallerSlots } from './caller-slots.js';
import type { ResolveHost } from '../webhooks/resolve.js';

/** Everything the API needs, handed to createApp; the app itself opens nothing. */
export interface ApiDeps {
  config: Config;
  client: Client;
  catalog: ChainCatalog;
  callers: CallerRegistry;
  limiters: RateLimiters;
  /** Signs and checks the short-lived tokens that let browsers' EventSource open a run's stream. */
  streamTokens: StreamTokens;
  /** Shares one read among polls of a run that arrive within 100 ms. */
  polls: PollCache;
  /** Each caller's running runs, for the concurrent-run limit. */
  runningRuns: RunningRuns;
  /** Keeps polled and watched runs from being cancelled as orphaned. */
  toucher: RunToucher;
  /** Median recent durations, for estimated_duration_s. */
  estimates: DurationEstimates;
  /** Per-caller caps on sync waits, open streams and webhook host look-ups. */
  slots: CallerSlots;
  /** Resolves webhook hosts for the URL check (with a deadline). */
  resolveHost: ResolveHost;
  /** Keys the MAC of list cursors, so only cursors this service issued reach Temporal. */
  cursorKey: Buffer;
  /** Checks the respond_url tokens of run.input_required webhooks. */
  respondLinks: RespondLinks;
  /** Seals webhook secrets before they enter workflow input. */
  secrets: SecretBox;
  log: Logger;
  version: string;
  /** The development key when no caller is configured: the playground offers it to this machine only. */
  devKey?: string;
  /** This instance's run readers for SSE (one per watched run); `stats()` feeds the stream gauges. */
  readers: RunReaders;
  /** Silence after which an SSE stream sends a keep-alive comment (default 15 s). */
  sseKeepAliveMs?: number;
}
