import type { Client } from '@temporalio/client';
import type { ChainCatalog } from '../chains/catalog.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Caller } from './callers.js';
import type { RateLimiters } from './middleware/rate-limit.js';

/** Everything the API needs, handed to createApp; the app itself opens nothing. */
export interface ApiDeps {
  config: Config;
  client: Client;
  catalog: ChainCatalog;
  callers: readonly Caller[];
  limiters: RateLimiters;
  log: Logger;
  version: string;
}
