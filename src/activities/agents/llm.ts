import type OpenAI from 'openai';
import { z } from 'zod';
import type { Config } from '../../config.js';
import { HEADER } from '../../api/wire.js';
import { NonRetryableAgentError, RetryableAgentError } from '../../errors.js';
import { retryAfterMs } from '../../retry-after.js';
import { withModelCallSpan } from '../../telemetry/gen-ai.js';
import { defineAgentKind } from './kind.js';

/** Statuses where asking again later can work; every other 4xx is the request's own fault. */
const RETRYABLE_STATUS = new Set([408, 409, 429]);

/**
 * An OpenAI-compatible Chat Completions agent (OpenAI, Ollama, vLLM, LM Studio, OpenRouter…), streamed
 * token by token. Usage reported by the stream becomes cost through the configured price table.
 */
export function createLlmAgent(llm: Config['llm']) {
  // Loaded on the first LLM call: a service whose chains call no model keeps ~10 MB of SDK out of memory.
  let sdk: Promise<{ client: OpenAI; Sdk: typeof OpenAI }> | undefined;
  const load = () =>
    (sdk ??= import('openai').then(({ default: Sdk }) => ({
      Sdk,
      client: new Sdk({
        baseURL: llm.baseUrl,
        // Local servers often need no key, but the SDK insists on one.
        apiKey: llm.apiKey ?? 'unused',
        // Retries are Temporal's job: one attempt per activity attempt keeps attempts and cost honest.
        maxRetries: 0,
      }),
    })));
  return defineAgentKind({
    name: 'llm',
    with: z
      .object({
        model: z.string().min(1),
        system: z.string().optional(),
        prompt: z.string().min(1),
        temperature: z.number().min(0).max(2).optional(),
        max_tokens: z.number().int().positive().optional(),
        response_format: z.enum(['text', 'json']).default('text'),
      })
      .strict(),
    unavailable: (config) =>
      config.llm.baseUrl || config.llm.apiKey ? undefined : 'no LLM endpoint configured: set OPENAI_BASE_URL and/or OPENAI_API_KEY',
    async run({ with: opts, signal, emit, addUsage }) {
      const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [];
      if (opts.system) messages.push({ role: 'system', content: opts.system });
      messages.push({ role: 'user', content: opts.prompt });
      let text = '';
      const { client, Sdk } = await load();
      try {
        // One model-call span (gen_ai.* attributes) around the request and its stream.
        await withModelCallSpan({ system: 'openai', requestModel: opts.model }, async (call) => {
          const stream = await client.chat.completions.create(
            {
              model: opts.model,
              messages,
              stream: true,
              stream_options: { include_usage: true },
              temperature: opts.temperature,
              max_tokens: opts.max_tokens,
              response_format: opts.response_format === 'json' ? { type: 'json_object' } : undefined,
            },
            { signal },
          );
          for await (const chunk of stream) {
            const delta = chunk.choices[0]?.delta?.content;
            if (delta) {
              text += delta;
              emit(delta);
            }
            if (chunk.usage) {
              call.setResponse({ model: chunk.model, inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens });
              addUsage({ tokens: chunk.usage.completion_tokens, cost: priceOf(llm.prices, opts.model, chunk.usage) });
            }
          }
          // The SDK ends the iteration quietly when the signal aborts: a cut-off stream is no answer.
          if (signal.aborted) throw signal.reason;
        });
      } catch (err) {
        throw classify(Sdk, err, signal);
      }
      if (opts.response_format === 'text') return { output: text };
      try {
        return { output: JSON.parse(text) as unknown };
      } catch {
        throw new RetryableAgentError(`Model "${opts.model}" returned invalid JSON`, 'llm_invalid_json');
      }
    },
  });
}

function priceOf(prices: Config['llm']['prices'], model: string, usage: OpenAI.CompletionUsage): number {
  const price = prices[model];
  if (!price) return 0;
  return (usage.prompt_tokens * price.input + usage.completion_tokens * price.output) / 1_000_000;
}

function classify(Sdk: typeof OpenAI, err: unknown, signal: AbortSignal): unknown {
  if (signal.aborted) return signal.reason;
  if (err instanceof Sdk.APIConnectionError) return new RetryableAgentError(`LLM endpoint unreachable: ${err.message}`, 'llm_unreachable');
  if (err instanceof Sdk.APIError) {
    const status = err.status;
    // Only a positive delay may override the retry policy.
    const retryAfter = retryAfterMs(err.headers?.get?.(HEADER.retryAfter)) || undefined;
    const message = `LLM request failed${status ? ` with ${status}` : ''}: ${err.message}`;
    if (status === undefined || status >= 500 || RETRYABLE_STATUS.has(status)) {
      return new RetryableAgentError(message, 'llm_error', retryAfter);
    }
    return new NonRetryableAgentError(message, 'llm_rejected');
  }
  return err;
}
