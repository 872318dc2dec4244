import type { AgentPlan } from './types.js';

/** The provider an llm agent's model names when it has no `provider:` prefix. */
const DEFAULT_LLM_PROVIDER = 'openai';

/**
 * The summary the Temporal UI shows for an agent's activity: `agent · provider:model` for an llm agent
 * (its rendered `with.model`, `openai:` when it names no provider), `agent · kind` for any other.
 */
export function agentSummary(agent: Pick<AgentPlan, 'name' | 'kind'>, settings: Record<string, unknown>): string {
  const model = settings.model;
  if (agent.kind !== 'llm' || typeof model !== 'string') return `${agent.name} · ${agent.kind}`;
  return `${agent.name} · ${model.includes(':') ? model : `${DEFAULT_LLM_PROVIDER}:${model}`}`;
}
