import type { TokenChannel } from '../tokens/channel.js';
import type { AgentKinds } from './agents/registry.js';
import { createRunAgent } from './run-agent.js';
import { createDeliverWebhook, type DeliverDeps } from './webhooks/deliver.js';
import { recordRunEnd } from './record-run-end.js';
import { createRerunActivities, type RerunDeps } from './reruns.js';

/** Every activity the worker registers, built from their dependencies. */
export function createActivities(deps: { kinds: AgentKinds; webhooks: DeliverDeps; reruns: RerunDeps; /** Where agents push their output as they emit it, if anywhere. */ tokens?: TokenChannel }) {
  return { runAgent: createRunAgent(deps.kinds, deps.tokens), deliverWebhook: createDeliverWebhook(deps.webhooks), recordRunEnd, ...createRerunActivities(deps.reruns) };
}

export type Activities = ReturnType<typeof createActivities>;
