import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runDetails, runSummary } from '../../src/runs/ui-metadata.js';
import { agentSummary } from '../../src/workflows/agent-summary.js';

describe('what the Temporal UI shows', () => {
  it('summarises a run as chain@version · caller', () => {
    assert.equal(runSummary({ name: 'writing-pipeline', version: 3 }, 'acme'), 'writing-pipeline@3 · acme');
  });

  it('details a run by input size, webhook host (never its path, query or credentials) and budget', () => {
    assert.equal(
      runDetails({ inputBytes: 42, webhookUrl: 'https://user:pw@hooks.example.com:8443/t/SECRET?sig=abc', budgetUsd: 0.25 }),
      '- input: 42 bytes\n- webhook: hooks.example.com:8443\n- budget: max_cost 0.25 USD',
    );
    assert.equal(runDetails({ inputBytes: 2 }), '- input: 2 bytes\n- webhook: none\n- budget: none');
  });

  it('summarises an llm agent by provider:model, openai when the model names no provider, and other agents by kind', () => {
    assert.equal(agentSummary({ name: 'draft', kind: 'llm' }, { model: 'gpt-4o-mini' }), 'draft · openai:gpt-4o-mini');
    assert.equal(agentSummary({ name: 'review', kind: 'llm' }, { model: 'anthropic:claude-sonnet-4' }), 'review · anthropic:claude-sonnet-4');
    assert.equal(agentSummary({ name: 'lookup', kind: 'http' }, { url: 'https://api.example.com/x?key=k' }), 'lookup · http');
    assert.equal(agentSummary({ name: 'first', kind: 'simulated' }, { model: 'not-an-llm' }), 'first · simulated');
  });
});
