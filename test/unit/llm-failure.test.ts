import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { APICallError } from 'ai';
import { NonRetryableAgentError, RetryableAgentError } from '../../src/errors.js';
import { classifyFailure, toAgentError } from '../../src/llm/failure.js';
import { parseModelRef } from '../../src/llm/model-ref.js';

const answer = (statusCode: number, responseHeaders: Record<string, string> = {}) =>
  new APICallError({ message: 'fake', url: 'http://x/v1/responses', requestBodyValues: {}, statusCode, responseHeaders });

describe('classifyFailure', () => {
  it('sorts HTTP answers into the fallback classes, and every other 4xx into rejected', () => {
    const classes = [429, 500, 503, 529, 408, 504, 400, 401, 403, 404].map((status) => classifyFailure(answer(status), 'openai:m').class);
    assert.deepEqual(classes, ['rate_limited', 'server_error', 'server_error', 'overloaded', 'timeout', 'timeout', 'rejected', 'rejected', 'rejected', 'rejected']);
  });

  it('reads error events inside a stream by their status or Anthropic type, and a cut connection as a server error', () => {
    assert.equal(classifyFailure({ message: 'Overloaded', type: 'overloaded_error', statusCode: 529 }, 'anthropic:m').class, 'overloaded');
    assert.equal(classifyFailure({ message: 'Overloaded', type: 'overloaded_error' }, 'anthropic:m').class, 'overloaded');
    assert.equal(classifyFailure(new TypeError('terminated'), 'openai:m').class, 'server_error');
    assert.equal(classifyFailure(answer(200), 'openai:m').class, 'server_error', 'a 200 whose stream broke');
    assert.equal(classifyFailure(Object.assign(new Error('took too long'), { name: 'TimeoutError' }), 'openai:m').class, 'timeout');
  });

  it('names the model and status, and keeps a positive retry-after for the next attempt', () => {
    const failure = classifyFailure(answer(429, { 'retry-after': '3' }), 'openai:gpt-4o-mini');
    assert.equal(failure.message, 'openai:gpt-4o-mini failed with 429: fake');
    assert.equal(failure.retryAfterMs, 3000);
    assert.equal(classifyFailure(answer(429, { 'retry-after': '0' }), 'openai:m').retryAfterMs, undefined);
  });
});

describe('toAgentError', () => {
  it('makes the fallback classes retryable and everything else final, with llm_<class> codes', () => {
    const retryable = toAgentError({ class: 'overloaded', message: 'x', retryAfterMs: 10 });
    assert.ok(retryable instanceof RetryableAgentError);
    assert.deepEqual([retryable.code, retryable.retryAfterMs], ['llm_overloaded', 10]);
    for (const cls of ['rejected', 'content_filter'] as const) assert.ok(toAgentError({ class: cls, message: 'x' }) instanceof NonRetryableAgentError);
  });
});

describe('parseModelRef', () => {
  it('reads provider:model, keeping chain files without a provider (or with a colon in an Ollama tag) on OpenAI', () => {
    assert.deepEqual(parseModelRef('anthropic:claude-sonnet-4-5'), { provider: 'anthropic', model: 'claude-sonnet-4-5', id: 'anthropic:claude-sonnet-4-5' });
    assert.deepEqual(parseModelRef('openai-compatible:router/meta-llama/llama-3.1-8b:free'), {
      provider: 'openai-compatible',
      server: 'router',
      model: 'meta-llama/llama-3.1-8b:free',
      id: 'openai-compatible:router/meta-llama/llama-3.1-8b:free',
    });
    assert.deepEqual(parseModelRef('gpt-4o-mini'), { provider: 'openai', model: 'gpt-4o-mini', id: 'openai:gpt-4o-mini' });
    assert.deepEqual(parseModelRef('llama3.1:8b'), { provider: 'openai', model: 'llama3.1:8b', id: 'openai:llama3.1:8b' });
    assert.ok('problem' in parseModelRef('openai-compatible:llama3.1'));
  });
});
