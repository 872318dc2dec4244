import type { AgentKinds } from './agents/registry.js';
import { createRunAgent } from './run-agent.js';

/** Every activity the worker registers, built from their dependencies. */
export function createActivities(deps: { kinds: AgentKinds }) {
  return { runAgent: createRunAgent(deps.kinds) };
}

export type Activities = ReturnType<typeof createActivities>;
