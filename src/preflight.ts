import { createAgentKinds } from './activities/agents/registry.js';
import { loadCallers } from './api/callers.js';
import type { ChainCatalog } from './chains/catalog.js';
import { loadChains } from './chains/load.js';
import type { Config } from './config.js';
import { SecretBox } from './webhooks/secret-box.js';

/**
 * Everything a process can find wrong in its configuration, checked before it starts a Temporal
 * server, opens a connection or listens: callers and their keys (API processes), the secret key, the
 * chain files. Throws the ConfigError that names what to fix; returns the loaded chain catalog.
 * (Environment rules, such as the metrics token off loopback, are checked by loadConfig itself.)
 */
export function checkBeforeStart(config: Config, role: { api: boolean }): ChainCatalog {
  if (role.api) loadCallers(config);
  SecretBox.fromConfig(config);
  return loadChains(config, createAgentKinds(config));
}
