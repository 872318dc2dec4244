import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { and, equals, isIn, literal } from '../../src/runs/visibility-query.js';

describe('visibility query builder', () => {
  it('quotes strings in single quotes', () => {
    assert.equal(equals('CallerId', 'alice'), `CallerId = 'alice'`);
    assert.equal(literal(''), `''`);
  });

  it("escapes ' and \\ with a backslash, so a value cannot end its quotes", () => {
    assert.equal(literal(`o'brien`), String.raw`'o\'brien'`);
    assert.equal(literal(String.raw`a\b`), String.raw`'a\\b'`);
    assert.equal(literal(String.raw`x\' OR 'a' = 'a`), String.raw`'x\\\' OR \'a\' = \'a'`);
  });

  it('writes safe integers as bare numbers and refuses other numbers', () => {
    assert.equal(equals('ChainVersion', 3), 'ChainVersion = 3');
    assert.equal(literal(-7), '-7');
    for (const n of [1.5, Number.NaN, Infinity, -Infinity, 2 ** 53, 1e21]) assert.throws(() => literal(n), RangeError, String(n));
  });

  it('takes a search attribute key for its name', () => {
    const key = defineSearchAttributeKey('ChainName', SearchAttributeType.KEYWORD);
    assert.equal(equals(key, 'summarise'), `ChainName = 'summarise'`);
  });

  it('builds IN lists of quoted values and refuses an empty one', () => {
    assert.equal(isIn('WorkflowId', ['a', `b'c`, 4]), String.raw`WorkflowId IN ('a', 'b\'c', 4)`);
    assert.throws(() => isIn('WorkflowId', []), RangeError);
  });

  it('refuses attribute names that are not identifiers', () => {
    assert.throws(() => equals(`CallerId = 'x' OR WorkflowType`, 'y'), RangeError);
  });

  it('joins clauses with AND', () => {
    assert.equal(and(equals('WorkflowType', 'chainWorkflow')), `WorkflowType = 'chainWorkflow'`);
    assert.equal(
      and(equals('WorkflowType', 'chainWorkflow'), equals('CallerId', 'alice'), equals('ExecutionStatus', 'Running')),
      `WorkflowType = 'chainWorkflow' AND CallerId = 'alice' AND ExecutionStatus = 'Running'`,
    );
  });
});
