import type { JSONSchema7, LanguageModel } from 'ai';
import type { TokenUsage } from './prices.js';

/** What the model is asked to answer with: free text, any JSON, or JSON matching a JSON Schema. */
export type OutputFormat = { type: 'text' } | { type: 'json' } | { type: 'schema'; schema: Record<string, unknown> };

export interface ModelCall {
  model: LanguageModel;
  system: string | undefined;
  prompt: string;
  temperature: number | undefined;
  maxTokens: number | undefined;
  format: OutputFormat;
  signal: AbortSignal;
  /** Each piece of text as it streams in. */
  onText(chunk: string): void;
}

export interface ModelAnswer {
  text: string;
  usage: TokenUsage;
  /** The AI SDK's unified finish reason: stop, length, content-filter, … */
  finishReason: string;
  /** The model that answered, as the provider names it (it may differ from the one asked for, e.g. a dated version). */
  responseModel: string | undefined;
}

/**
 * One streamed model call through the AI SDK (imported on the first call). Throws what the provider
 * failed with — an HTTP error, an error event in the stream, a cut connection — for classifyFailure;
 * a call cut short by `signal` throws its reason. The answer's text is raw: JSON is parsed by the caller.
 */
export async function streamModel(call: ModelCall): Promise<ModelAnswer> {
  const { Output, jsonSchema, streamText } = await import('ai');
  const output =
    call.format.type === 'schema'
      ? // Compiled by ajv when the chain loaded: a JSON Schema, as the SDK's type says.
        Output.object({ schema: jsonSchema(call.format.schema as JSONSchema7) })
      : call.format.type === 'json'
        ? Output.json()
        : Output.text();
  const result = streamText({
    model: call.model,
    system: call.system,
    prompt: call.prompt,
    temperature: call.temperature,
    maxOutputTokens: call.maxTokens,
    output,
    // Temporal's retry policy is the only retry, and fallbacks go from one call to the next: the SDK never retries.
    maxRetries: 0,
    abortSignal: call.signal,
    // Failures are read from the stream below; the SDK's default would also print them to the console.
    onError: () => undefined,
  });
  let text = '';
  let usage: TokenUsage = { input: 0, output: 0 };
  let finishReason = 'unknown';
  let responseModel: string | undefined;
  for await (const part of result.fullStream) {
    if (part.type === 'text-delta') {
      text += part.text;
      call.onText(part.text);
    } else if (part.type === 'error') {
      throw part.error;
    } else if (part.type === 'finish-step') {
      responseModel = part.response.modelId;
    } else if (part.type === 'finish') {
      usage = { input: part.totalUsage.inputTokens ?? 0, output: part.totalUsage.outputTokens ?? 0 };
      finishReason = part.finishReason;
    }
  }
  // The stream ends quietly (an `abort` part) when the signal aborts: a cut-off answer is no answer.
  if (call.signal.aborted) throw call.signal.reason;
  return { text, usage, finishReason, responseModel };
}
