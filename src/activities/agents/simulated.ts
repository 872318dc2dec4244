import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { durationMs } from '../../durations.js';
import { NonRetryableAgentError, RetryableAgentError } from '../../errors.js';
import { defineAgentKind } from './kind.js';

/**
 * A deterministic, offline agent for demos, tests and benchmarks. It streams `text` word by word (or
 * the JSON text of `output`), heartbeats and honours cancellation like a real agent.
 */
export const simulatedAgent = defineAgentKind({
  name: 'simulated',
  with: z
    .object({
      text: z.string().optional(),
      output: z.unknown().optional(),
      token_delay: durationMs.default(0),
      cost: z.number().nonnegative().default(0),
      fail_attempts: z.number().int().nonnegative().default(0),
      fail: z.string().optional(),
      /** Benchmarks: each word of `text` is streamed as `word@<epoch ms when emitted>`, so receivers can measure latency. */
      embed_timestamps: z.boolean().default(false),
    })
    .strict(),
  async run({ with: opts, attempt, signal, emit, addUsage }) {
    if (opts.fail !== undefined) throw new NonRetryableAgentError(opts.fail, 'simulated_failure');
    if (attempt <= opts.fail_attempts) {
      throw new RetryableAgentError(`Simulated transient failure on attempt ${attempt} of ${opts.fail_attempts + 1}`, 'simulated_flake');
    }
    const isJson = opts.output !== undefined;
    const text = isJson ? JSON.stringify(opts.output) : (opts.text ?? '');
    const stamp = opts.embed_timestamps && !isJson;
    let emitted = '';
    for (const word of words(text)) {
      if (opts.token_delay > 0) await sleep(opts.token_delay, undefined, { signal });
      else if (signal.aborted) throw signal.reason;
      const chunk = stamp ? word.replace(/^\S+/, (w) => `${w}@${Date.now()}`) : word;
      emitted += chunk;
      emit(chunk);
    }
    addUsage({ cost: opts.cost });
    return { output: isJson ? opts.output : emitted };
  },
});

/** Splits text into word-sized chunks that concatenate back to exactly the text. */
function words(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}
