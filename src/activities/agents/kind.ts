import type { z } from 'zod';
import type { Config } from '../../config.js';

/** What an agent implementation gets for one attempt. */
export interface AgentContext<With> {
  /** The agent's `with` settings, templates already resolved by the workflow, parsed by the kind's schema. */
  with: With;
  runId: string;
  agent: string;
  index: number;
  attempt: number;
  /** Aborted when the run is cancelled or times out: pass it to every network call. */
  signal: AbortSignal;
  /** Streams a piece of output to watchers (it is heartbeated). */
  emit(chunk: string): void;
  /** Adds spend and token usage as they become known. */
  addUsage(usage: { cost?: number; tokens?: number }): void;
}

export interface AgentReturn {
  /** The agent's output: text, or any JSON value. */
  output: unknown;
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
  /** Why this kind cannot run with the current configuration, or undefined when it can. */
  unavailable?(config: Config): string | undefined;
}

/** Declares a kind with its `with` type inferred from the schema. */
export function defineAgentKind<Schema extends z.ZodType>(kind: AgentKind<Schema>): AgentKind<Schema> {
  return kind;
}
