import { z } from 'zod';
import shipped from './prices.json' with { type: 'json' };
import { parseModelRef } from './model-ref.js';

const price = z.object({ input: z.number().nonnegative(), output: z.number().nonnegative() }).strict();

/**
 * USD per million tokens by `provider:model`. A key without a provider (`gpt-4o`, as price tables
 * were written before providers existed) is an OpenAI model's.
 */
export const priceTableSchema = z
  .record(z.string().min(1), price)
  .transform((table) => Object.fromEntries(Object.entries(table).map(([model, p]) => [modelKey(model), p])));

export type PriceTable = z.output<typeof priceTableSchema>;
export type TokenUsage = { input: number; output: number };

/** The table shipped in prices.json (public list prices); operators override entries, see the README. */
export const defaultPrices: PriceTable = priceTableSchema.parse(shipped);

function modelKey(model: string): string {
  const ref = parseModelRef(model);
  return 'id' in ref ? ref.id : model;
}

/** USD for `usage` of the model `id`; 0 for a model the table does not price. */
export function costOf(prices: PriceTable, id: string, usage: TokenUsage): number {
  const p = prices[id];
  return p ? (usage.input * p.input + usage.output * p.output) / 1_000_000 : 0;
}

/** The most `maxTokens` output tokens of model `id` can cost; 0 without a price or a limit. */
export function outputCeiling(prices: PriceTable, id: string, maxTokens: number | undefined): number {
  const p = prices[id];
  return p && maxTokens ? (maxTokens * p.output) / 1_000_000 : 0;
}
