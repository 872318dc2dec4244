import { parseModelRef } from '../llm/model-ref.js';
import type { AgentPlan } from './types.js';

/**
 * The summary the Temporal UI shows for an agent's activity: `agent · provider:model` for an llm agent
 * (its rendered `with.model` read as the llm kind reads it, so `gpt-4o-mini` shows as `openai:gpt-4o-mini`),
 * `agent · kind` for any other.
 */
export function agentSummary(agent: Pick<AgentPlan, 'name' | 'kind'>, settings: Record<string, unknown>): string {
  const model = settings.model;
  if (agent.kind !== 'llm' || typeof model !== 'string') return `${agent.name} · ${agent.kind}`;
  const ref = parseModelRef(model);
  return `${agent.name} · ${'id' in ref ? ref.id : model}`;
}
