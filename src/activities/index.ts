import type { AgentKinds } from './agents/registry.js';
import { createRunAgent, type RunAgentOptions } from './run-agent.js';
import { createDeliverWebhook, type DeliverDeps } from './webhooks/deliver.js';
import { recordRunEnd } from './record-run-end.js';
import { createRerunActivities, type RerunDeps } from './reruns.js';

/** Every activity the worker registers, built from their dependencies. */
export function createActivities(deps: { kinds: AgentKinds; webhooks: DeliverDeps; reruns: RerunDeps; agents: RunAgentOptions }) {
  return { runAgent: createRunAgent(deps.kinds, deps.agents), deliverWebhook: createDeliverWebhook(deps.webhooks), recordRunEnd, ...createRerunActivities(deps.reruns) };
}

export type Activities = ReturnType<typeof createActivities>;
