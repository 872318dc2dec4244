import type { LanguageModel } from 'ai';
import type { LlmConfig, ProviderEndpoint } from '../config.js';
import { NonRetryableAgentError } from '../errors.js';
import type { ModelRef } from './model-ref.js';

/** Local servers often need no key, but the SDKs insist on one. */
const NO_KEY = 'unused';

/** Why `ref` cannot be called with this configuration (operator-facing), or undefined when it can. */
export function unconfigured(llm: LlmConfig, ref: ModelRef): string | undefined {
  switch (ref.provider) {
    case 'openai':
      return llm.openai ? undefined : `${ref.id}: provider openai is not configured; set OPENAI_API_KEY (and/or OPENAI_BASE_URL)`;
    case 'anthropic':
      return llm.anthropic ? undefined : `${ref.id}: provider anthropic is not configured; set ANTHROPIC_API_KEY (and/or ANTHROPIC_BASE_URL)`;
    case 'openai-compatible':
      return llm.compatible[ref.server!]
        ? undefined
        : `${ref.id}: no OpenAI-compatible server "${ref.server}"; add ${ref.server}=<base URL> to CHAINPORT_OPENAI_COMPATIBLE`;
  }
}

/** What `npm start` shows: the configured providers, e.g. `openai, openai-compatible:local`; undefined when none is. */
export function describeProviders(llm: LlmConfig): string | undefined {
  const names = [
    ...(llm.openai ? ['openai'] : []),
    ...(llm.anthropic ? ['anthropic'] : []),
    ...Object.keys(llm.compatible).map((name) => `openai-compatible:${name}`),
  ];
  return names.length > 0 ? names.join(', ') : undefined;
}

export type ModelSource = (ref: ModelRef) => Promise<LanguageModel>;

/**
 * The language models of the configured providers. Each provider's SDK is imported on its first
 * model, and once: a service whose chains call no model keeps the AI SDK out of memory. `openai`
 * models speak OpenAI's Responses API (the SDK's default); OpenAI-compatible servers speak Chat
 * Completions, which is what they implement.
 */
export function createModelSource(llm: LlmConfig): ModelSource {
  const providers = new Map<string, Promise<(model: string) => LanguageModel>>();
  const provider = (key: string, load: () => Promise<(model: string) => LanguageModel>) => {
    let loaded = providers.get(key);
    if (!loaded) providers.set(key, (loaded = load()));
    return loaded;
  };
  return async (ref) => {
    const endpoint = endpointOf(llm, ref);
    switch (ref.provider) {
      case 'openai':
        return (await provider('openai', async () => {
          const { createOpenAI } = await import('@ai-sdk/openai');
          const openai = createOpenAI({ baseURL: endpoint.baseUrl, apiKey: endpoint.apiKey ?? NO_KEY });
          return (model) => openai(model);
        }))(ref.model);
      case 'anthropic':
        return (await provider('anthropic', async () => {
          const { createAnthropic } = await import('@ai-sdk/anthropic');
          const anthropic = createAnthropic({ baseURL: endpoint.baseUrl, apiKey: endpoint.apiKey ?? NO_KEY });
          return (model) => anthropic(model);
        }))(ref.model);
      case 'openai-compatible':
        return (await provider(`openai-compatible:${ref.server}`, async () => {
          const { createOpenAICompatible } = await import('@ai-sdk/openai-compatible');
          const server = createOpenAICompatible({
            name: ref.server!,
            baseURL: endpoint.baseUrl!,
            apiKey: endpoint.apiKey,
            // Usage arrives only when asked for; without it calls would cost nothing.
            includeUsage: true,
            supportsStructuredOutputs: true,
          });
          return (model) => server.chatModel(model);
        }))(ref.model);
    }
  };
}

function endpointOf(llm: LlmConfig, ref: ModelRef): ProviderEndpoint {
  const endpoint = ref.provider === 'openai-compatible' ? llm.compatible[ref.server!] : llm[ref.provider];
  // Chains naming it are unavailable at load; this is a worker configured apart from its API.
  if (!endpoint) throw new NonRetryableAgentError(unconfigured(llm, ref)!, 'llm_provider_unconfigured');
  return endpoint;
}
