import type { Config } from '../../config.js';
import { createHttpAgent } from './http.js';
import type { AgentKind } from './kind.js';
import { createLlmAgent } from './llm.js';
import { simulatedAgent } from './simulated.js';

export type AgentKinds = ReadonlyMap<string, AgentKind>;

/**
 * The agent kinds a worker can run: the built-ins plus custom ones. A custom kind with a built-in's
 * name is refused rather than silently replacing it.
 */
export function createAgentKinds(config: Config, custom: AgentKind[] = []): AgentKinds {
  const kinds = new Map<string, AgentKind>();
  for (const kind of [simulatedAgent, createLlmAgent(config.llm), createHttpAgent(config.httpAgent), ...custom] as AgentKind[]) {
    if (kinds.has(kind.name)) throw new Error(`Agent kind "${kind.name}" is registered twice`);
    kinds.set(kind.name, kind);
  }
  return kinds;
}
