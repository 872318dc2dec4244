// Temporal visibility list filters, built from parts instead of by string concatenation, so a value
// (a caller id, a chain name) can never change the shape of the query it sits in.

declare const clauseBrand: unique symbol;
/** One `Key = value` or `Key IN (…)` clause made by this module; only these are joined into a query. */
export type Clause = string & { readonly [clauseBrand]: true };

/** A search attribute: its name, or a key from `defineSearchAttributeKey`. */
export type AttributeKey = string | { readonly name: string };
export type QueryValue = string | number;

/** Temporal's own search attributes that our queries filter on. */
export const WORKFLOW_TYPE = 'WorkflowType';
export const WORKFLOW_ID = 'WorkflowId';
export const EXECUTION_STATUS = 'ExecutionStatus';
export const START_TIME = 'StartTime';

const ATTRIBUTE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A value as the visibility grammar reads it: a string in single quotes with `\` and `'` escaped by a
 * backslash, or a safe integer as plain digits (larger ones or fractions would print as `1e+21` or
 * lose digits, so they throw, as do NaN and infinities).
 */
export function literal(value: QueryValue): string {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`A visibility query number must be a safe integer, not ${value}.`);
    return String(value);
  }
  return `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

/** `Key = value`. */
export function equals(key: AttributeKey, value: QueryValue): Clause {
  return `${attribute(key)} = ${literal(value)}` as Clause;
}

/** `Key >= value` or `Key < value`: a half-open range, such as start times. */
export function compare(key: AttributeKey, operator: '>=' | '<', value: QueryValue): Clause {
  return `${attribute(key)} ${operator} ${literal(value)}` as Clause;
}

/** `Key IN (v1, v2, …)`; the list must not be empty (the grammar has no empty list). */
export function isIn(key: AttributeKey, values: readonly QueryValue[]): Clause {
  if (values.length === 0) throw new RangeError(`An IN list on ${attribute(key)} needs at least one value.`);
  return `${attribute(key)} IN (${values.map(literal).join(', ')})` as Clause;
}

/** The clauses joined with AND: the query text for list, count and listWorkflowExecutions calls. */
export function and(...clauses: [Clause, ...Clause[]]): string {
  return clauses.join(' AND ');
}

function attribute(key: AttributeKey): string {
  const name = typeof key === 'string' ? key : key.name;
  if (!ATTRIBUTE_NAME.test(name)) throw new RangeError(`"${name}" is not a search attribute name.`);
  return name;
}
