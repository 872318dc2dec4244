import type { Ajv2020 } from 'ajv/dist/2020.js';
import { z } from 'zod';
import { durationMs } from '../durations.js';
import type { InputStepPlan } from '../workflows/types.js';

/** The kind of a step that waits for a person's answer instead of running an agent. */
export const INPUT_KIND = 'input';

/** `with` of an input step, as written in a chain file. */
export const inputStepWith = z
  .object({
    prompt: z.string().min(1),
    schema: z.record(z.string(), z.unknown()),
    timeout: durationMs.prefault('24h'),
    on_timeout: z.enum(['fail', 'continue']).default('fail'),
    default: z.unknown().optional(),
  })
  .strict();

/** A problem with an input step's `with`: `field` is empty for one about `with` itself (an unknown key). */
export interface StepProblem {
  field: string;
  message: string;
}

/**
 * Checks an input step's settings (the schema compiles; with `on_timeout: continue`, a default that
 * matches it) and gives its plan, or its problems.
 */
export function inputStepPlan(raw: Record<string, unknown>, ajv: Ajv2020): { plan: InputStepPlan } | { problems: StepProblem[] } {
  const parsed = inputStepWith.safeParse(raw);
  if (!parsed.success) return { problems: parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })) };
  const step = parsed.data;
  let validate;
  try {
    validate = ajv.compile(step.schema);
  } catch (err) {
    return { problems: [{ field: 'schema', message: `not a valid JSON Schema: ${(err as Error).message}` }] };
  }
  if (step.on_timeout === 'continue') {
    if (step.default === undefined) return { problems: [{ field: 'default', message: 'required with on_timeout: continue (the answer used when nobody answers)' }] };
    if (!validate(structuredClone(step.default))) return { problems: [{ field: 'default', message: `does not match the step's schema: ${ajv.errorsText(validate.errors)}` }] };
  }
  return {
    plan: {
      prompt: step.prompt,
      schema: step.schema,
      timeoutMs: step.timeout,
      onTimeout: step.on_timeout,
      ...(step.default !== undefined && { default: step.default }),
    },
  };
}
