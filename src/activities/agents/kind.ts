import type { z } from 'zod';
import type { Config } from '../../config.js';

/** What an agent implementation gets for one attempt. */
export interface AgentContext<With> {
  /** The agent's `with` settings, templates already resolved by the workflow, parsed by the kind's schema. */
  with: With;
  runId: string;
  /** The run's chain; absent for attempts scheduled before it was passed. */
  chain: string | undefined;
  agent: string;
  index: number;
  attempt: number;
  /** Aborted when the run is cancelled or times out: pass it to every network call. */
  signal: AbortSignal;
  /** Streams a piece of output to watchers (it is heartbeated). */
  emit(chunk: string): void;
  /**
   * USD the run may still spend when this attempt started (its `max_cost` less what earlier agents
   * spent); undefined when the run has no budget. What this attempt spent is not subtracted.
   */
  budget: number | undefined;
  /**
   * Adds spend as it becomes known (`cost` adds up), and sets the attempt's token counts so far:
   * `tokens` output tokens, `inputTokens` input tokens.
   */
  addUsage(usage: { cost?: number; tokens?: number; inputTokens?: number }): void;
  /**
   * Discards the output emitted so far in this attempt and starts it again from nothing, because
   * another model takes over (a fallback): watchers are told to drop what they got, so an output
   * never mixes two models' text. Spend so far is kept.
   */
  restart(reason: { reason: 'fallback'; model: string; error: string }): void;
}

export interface AgentReturn {
  /** The agent's output: text, or any JSON value. */
  output: unknown;
  /** The model that produced the output (`provider:model`), for agents that call one. */
  model?: string;
  /** Whether that model was a fallback rather than the agent's first choice. */
  fallbackUsed?: boolean;
}

/**
 * An agent kind: the schema of its `with` block and the function that runs one attempt. Built-in
 * kinds are `simulated`, `llm` and `http`; custom kinds are registered the same way in the worker.
 */
export interface AgentKind<Schema extends z.ZodType = z.ZodType> {
  name: string;
  with: Schema;
  run(context: AgentContext<z.output<Schema>>): Promise<AgentReturn>;
  /**
   * Top-level `with` fields whose strings the workflow hands over as TextPart lists instead of rendered
   * text, so the kind can tell the chain file's own text from what templates inserted. The schema must
   * accept both forms: strings when a chain loads, parts when an attempt runs.
   */
  splitFields?: readonly string[];
  /** Problems only the kind can see in a chain file's own `with` (already parsed by `with`), as `field: what is wrong`; checked at load. */
  checkChainText?(settings: z.output<Schema>): string[];
  /** Why an agent with these settings (a chain file's own, parsed by `with`) cannot run with the current configuration, or undefined when it can. */
  unavailable?(config: Config, settings: z.output<Schema>): string | undefined;
}

/** Declares a kind with its `with` type inferred from the schema. */
export function defineAgentKind<Schema extends z.ZodType>(kind: AgentKind<Schema>): AgentKind<Schema> {
  return kind;
}
