import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expandParts, redact, secretValues } from '../../src/activities/agents/agent-env.js';
import { renderParts, type TextPart } from '../../src/workflows/template.js';

const env = { CHAINPORT_AGENT_CRM_KEY: 'crm-key-123456', CHAINPORT_SECRET_KEY: 'sealing-key-abcdef', TEMPORAL_ADDRESS: '10.0.0.5:7233' };

describe('http agent ${NAME} expansion', () => {
  it('expands variables in the chain file’s own text only, never in what a template inserted', () => {
    const parts = renderParts('https://crm.example/co/{{input.company}}?key=${CHAINPORT_AGENT_CRM_KEY}', {
      input: { company: '${CHAINPORT_SECRET_KEY}${CHAINPORT_AGENT_CRM_KEY}' },
      agents: {},
    }) as TextPart[];
    const expanded = expandParts(parts, env);
    assert.equal(expanded.text, 'https://crm.example/co/${CHAINPORT_SECRET_KEY}${CHAINPORT_AGENT_CRM_KEY}?key=crm-key-123456');
    assert.equal(expanded.shown, 'https://crm.example/co/${CHAINPORT_SECRET_KEY}${CHAINPORT_AGENT_CRM_KEY}?key=${CHAINPORT_AGENT_CRM_KEY}');
    assert.deepEqual(expanded.secrets, ['crm-key-123456']);
    assert.equal(expanded.chainOnly, 'https://crm.example/co/?key=crm-key-123456');
  });

  it('refuses variables outside CHAINPORT_AGENT_* even in chain text, and unset ones', () => {
    assert.throws(() => expandParts([{ literal: '${TEMPORAL_ADDRESS}' }], env), /\$\{TEMPORAL_ADDRESS\} is not readable by chains/);
    assert.throws(() => expandParts([{ literal: '${CHAINPORT_AGENT_NOPE}' }], env), /references \$\{CHAINPORT_AGENT_NOPE\}, which is not set/);
  });

  it('expands nothing in a plain string, which only a run started before split fields can hand over', () => {
    assert.equal(expandParts('https://x/${CHAINPORT_AGENT_CRM_KEY}', env).text, 'https://x/${CHAINPORT_AGENT_CRM_KEY}');
  });
});

describe('redact', () => {
  it('replaces chain-readable and secret-named values, plain and URL-encoded, but leaves other values and short ones', () => {
    const secrets = [...secretValues(env), 'a+b/c=d==', 'ab'];
    assert.deepEqual(secretValues(env).sort(), ['crm-key-123456', 'sealing-key-abcdef']);
    const text = 'key=crm-key-123456 seal=sealing-key-abcdef enc=a%2Bb%2Fc%3Dd%3D%3D at 10.0.0.5:7233 ab';
    assert.equal(redact(text, secrets), 'key=[redacted] seal=[redacted] enc=[redacted] at 10.0.0.5:7233 ab');
  });
});
