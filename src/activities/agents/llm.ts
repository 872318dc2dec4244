import { z } from 'zod';
import type { LlmConfig } from '../../config.js';
import { AgentError, NonRetryableAgentError, ensureError } from '../../errors.js';
import { streamModel, type ModelAnswer, type OutputFormat } from '../../llm/call.js';
import { FALLBACK_CLASSES, classifyFailure, toAgentError, type ModelFailure } from '../../llm/failure.js';
import { parseModelRef, type ModelRef } from '../../llm/model-ref.js';
import { outputValidator, readOutput } from '../../llm/output.js';
import { costOf, outputCeiling, type PriceTable, type TokenUsage } from '../../llm/prices.js';
import { createModelSource, unconfigured } from '../../llm/providers.js';
import { llmCalls, llmCost, llmFallbacks, llmTokens } from '../../metrics.js';
import { withModelCallSpan } from '../../telemetry/gen-ai.js';
import type { RunErrorCode } from '../../workflows/types.js';
import { defineAgentKind } from './kind.js';

/** `provider:model` text, read into the model it names. */
const modelText = z.string().transform((text, ctx): ModelRef => {
  const ref = parseModelRef(text);
  if ('id' in ref) return ref;
  ctx.addIssue({ code: 'custom', message: ref.problem });
  return z.NEVER;
});

const llmSettings = z
  .object({
    /** `provider:model`; without a provider, an OpenAI model. */
    model: modelText,
    /** Tried in order, within the same attempt, when the model before fails with a `fallback_on` class. */
    fallbacks: z.array(modelText).default([]),
    fallback_on: z.array(z.enum(FALLBACK_CLASSES)).default([...FALLBACK_CLASSES]),
    system: z.string().optional(),
    prompt: z.string().min(1),
    temperature: z.number().min(0).max(2).optional(),
    max_tokens: z.number().int().positive().optional(),
    response_format: z.enum(['text', 'json']).default('text'),
    /** JSON Schema the output must match; the output is then that JSON value. */
    output_schema: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

type LlmSettings = z.output<typeof llmSettings>;

/**
 * An agent that asks a model, streamed token by token through the AI SDK: OpenAI, Anthropic, or an
 * OpenAI-compatible server (Ollama, vLLM, LM Studio, OpenRouter…). One attempt tries the model, then
 * each fallback in order, but only after a failure of a `fallback_on` class; the attempt fails when the
 * whole list did, as the last failure says (retryable or not). Temporal's retry policy is the only
 * retry. Usage becomes cost through the price table.
 */
export function createLlmAgent(llm: LlmConfig) {
  const models = createModelSource(llm);
  return defineAgentKind({
    name: 'llm',
    with: llmSettings,
    checkChainText(settings) {
      if (!settings.output_schema) return [];
      try {
        outputValidator(settings.output_schema);
        return [];
      } catch (err) {
        return [`output_schema: not a valid JSON Schema: ${ensureError(err).message}`];
      }
    },
    unavailable: (config, settings) =>
      routeOf(settings)
        .map((ref) => unconfigured(config.llm, ref))
        .find((reason) => reason !== undefined),
    async run(context) {
      const { with: opts } = context;
      const route = routeOf(opts);
      const format = outputFormat(opts);
      let failure: ModelFailure | undefined;
      // Each pass returns the output or throws, the last model at the latest.
      for (let position = 0; ; position++) {
        const ref = route[position]!;
        refuseOverBudget(llm.prices, ref, opts.max_tokens, context.budget);
        if (failure) {
          llmFallbacks.inc({ chain: context.chain ?? '', agent: context.agent, from: route[position - 1]!.id, to: ref.id });
          context.restart({ reason: 'fallback', model: ref.id, error: failure.message });
        }
        // An OpenAI-compatible model is labelled with its server (`local/llama3.1`), like its id.
        const labels = { provider: ref.provider, model: ref.id.slice(ref.provider.length + 1) };
        let answer: ModelAnswer;
        try {
          const model = await models(ref);
          answer = await withModelCallSpan({ system: ref.provider, requestModel: labels.model }, async (span) => {
            const answered = await streamModel({
              model,
              system: opts.system,
              prompt: opts.prompt,
              temperature: opts.temperature,
              maxTokens: opts.max_tokens,
              format,
              signal: context.signal,
              onText: (chunk) => context.emit(chunk),
            });
            span.setResponse({ model: answered.responseModel ?? labels.model, inputTokens: answered.usage.input, outputTokens: answered.usage.output });
            return answered;
          });
        } catch (err) {
          // Cancellation is the activity's to surface; an agent error is ours (the provider was not configured).
          if (context.signal.aborted || err instanceof AgentError) throw err;
          failure = classifyFailure(err, ref.id);
          llmCalls.inc({ ...labels, outcome: failure.class });
          const fallsBack = position < route.length - 1 && (opts.fallback_on as readonly string[]).includes(failure.class);
          if (!fallsBack) throw toAgentError(failure);
          continue;
        }
        const cost = costOf(llm.prices, ref.id, answer.usage);
        countUsage(labels, answer.usage, cost);
        context.addUsage({ cost, tokens: answer.usage.output, inputTokens: answer.usage.input });
        if (answer.finishReason === 'content-filter') {
          llmCalls.inc({ ...labels, outcome: 'content_filter' });
          // A refusal is the prompt's doing: neither another model nor another attempt is asked.
          throw toAgentError({ class: 'content_filter', message: `${ref.id} refused to answer (content filter)` });
        }
        try {
          const output = readOutput(answer.text, format, ref.id);
          llmCalls.inc({ ...labels, outcome: 'ok' });
          return { output, model: ref.id, fallbackUsed: position > 0 };
        } catch (err) {
          llmCalls.inc({ ...labels, outcome: 'invalid_output' });
          throw err;
        }
      }
    },
  });
}

/** The models one attempt may ask, in order. */
function routeOf(settings: LlmSettings): ModelRef[] {
  return [settings.model, ...settings.fallbacks];
}

function outputFormat(settings: LlmSettings): OutputFormat {
  if (settings.output_schema) return { type: 'schema', schema: settings.output_schema };
  return { type: settings.response_format };
}

/**
 * Refuses a call that cannot fit in what is left of the run's budget (`left`, undefined: no budget):
 * nothing is left, or `max_tokens` output tokens at the model's price would cost more than is left.
 * A model without a price, or a call without max_tokens, fits while anything is left.
 */
function refuseOverBudget(prices: PriceTable, ref: ModelRef, maxTokens: number | undefined, left: number | undefined): void {
  if (left === undefined) return;
  const ceiling = outputCeiling(prices, ref.id, maxTokens);
  if (left > 0 && ceiling <= left) return;
  const why = left <= 0 ? 'nothing is left of the run budget' : `max_tokens could cost ${ceiling} USD and only ${left} USD is left of the run budget`;
  throw new NonRetryableAgentError(`${ref.id} was not called: ${why}`, 'budget_exceeded' satisfies RunErrorCode);
}

function countUsage(labels: { provider: string; model: string }, usage: TokenUsage, cost: number): void {
  llmTokens.inc({ ...labels, direction: 'input' }, usage.input);
  llmTokens.inc({ ...labels, direction: 'output' }, usage.output);
  if (cost > 0) llmCost.inc(labels, cost);
}
