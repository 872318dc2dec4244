import { SpanKind, trace } from '@opentelemetry/api';
import { ATTR, TRACER_NAME } from './attributes.js';
import { failSpan } from './fail-span.js';

export interface ModelCall {
  /** The provider, as gen_ai.system / gen_ai.provider.name name it: `openai`, `anthropic`… */
  system: string;
  /** The model the call asks for. */
  requestModel: string;
}

/** What the caller learns while the call runs; each field is set on the span as it becomes known. */
export interface ModelCallSpan {
  setResponse(response: { model?: string; inputTokens?: number; outputTokens?: number }): void;
}

/**
 * Runs one chat call to a model inside a `chat {model}` client span carrying the gen_ai.* attributes
 * (operation, provider, requested and answering model, token usage). The span ends when `fn` settles;
 * a throw marks it failed and is rethrown as is. Without a tracer provider (tracing off) the span is a
 * no-op and costs next to nothing.
 */
export async function withModelCallSpan<T>(call: ModelCall, fn: (span: ModelCallSpan) => Promise<T>): Promise<T> {
  const attributes = {
    [ATTR.genAiOperationName]: 'chat',
    [ATTR.genAiSystem]: call.system,
    [ATTR.genAiProviderName]: call.system,
    [ATTR.genAiRequestModel]: call.requestModel,
  };
  return trace.getTracer(TRACER_NAME).startActiveSpan(`chat ${call.requestModel}`, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      return await fn({
        setResponse({ model, inputTokens, outputTokens }) {
          if (model !== undefined) span.setAttribute(ATTR.genAiResponseModel, model);
          if (inputTokens !== undefined) span.setAttribute(ATTR.genAiUsageInputTokens, inputTokens);
          if (outputTokens !== undefined) span.setAttribute(ATTR.genAiUsageOutputTokens, outputTokens);
        },
      });
    } catch (err) {
      failSpan(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}
