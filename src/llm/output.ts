import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { RetryableAgentError } from '../errors.js';
import type { OutputFormat } from './call.js';

const ajv = new Ajv2020({ allErrors: true, strict: false });
/** Compiled schemas by their JSON text: chain files hold few, and every attempt checks against one. */
const compiled = new Map<string, ValidateFunction>();

/** The validator of an `output_schema`; throws ajv's error when it is not a JSON Schema (checked when chains load). */
export function outputValidator(schema: Record<string, unknown>): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) compiled.set(key, (validate = ajv.compile(schema)));
  return validate;
}

/**
 * The agent's output from the model's text: the text itself, or the JSON it holds. Text that is not
 * JSON, or JSON that does not match the schema, is a retryable failure: another sample can be right.
 */
export function readOutput(text: string, format: OutputFormat, model: string): unknown {
  if (format.type === 'text') return text;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RetryableAgentError(`${model} returned invalid JSON`, 'llm_invalid_json');
  }
  if (format.type === 'schema') {
    const validate = outputValidator(format.schema);
    if (!validate(value)) {
      const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`).join('; ');
      throw new RetryableAgentError(`${model} returned JSON that does not match output_schema: ${problems}`, 'llm_invalid_output');
    }
  }
  return value;
}
