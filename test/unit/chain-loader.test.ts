import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { createAgentKinds } from '../../src/activities/agents/registry.js';
import type { ChainCatalog } from '../../src/chains/catalog.js';
import { ChainFileError, loadChains } from '../../src/chains/load.js';
import { loadConfig } from '../../src/config.js';
import { FIXTURE_CHAINS } from '../helpers/engine.js';

const tempDirs: string[] = [];

/** Writes the files into a fresh temp folder and loads it as the chains folder. */
function load(files: Record<string, string>, env: Record<string, string> = {}): { dir: string; catalog: ChainCatalog } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'chainport-chains-'));
  tempDirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return { dir, catalog: loadFrom(dir, env) };
}

function loadFrom(dir: string, env: Record<string, string> = {}): ChainCatalog {
  const config = loadConfig({ CHAINPORT_CHAINS_DIR: dir, ...env });
  return loadChains(config, createAgentKinds(config));
}

/** Loads the files expecting a ChainFileError; returns its message with the temp folder shown as `<dir>`. */
function loadError(files: Record<string, string>): string {
  let loaded: { dir: string } | undefined;
  try {
    loaded = load(files);
  } catch (err) {
    assert.ok(err instanceof ChainFileError, `expected a ChainFileError, got ${String(err)}`);
    assert.equal(err.name, 'ChainFileError');
    return err.message.replaceAll(tempDirs.at(-1)!, '<dir>');
  }
  assert.fail(`expected ${loaded.dir} to be refused`);
}

/** A one-agent chain file; `agent` lines replace the default agent's body. */
const chain = (name: string, version: number, agents = '  - name: only\n    kind: simulated\n    with: {text: hi}\n', extra = '') =>
  `name: ${name}\nversion: ${version}\n${extra}agents:\n${agents}`;

after(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe('loadChains: invalid files', () => {
  it('rejects a chain name that is not lowercase letters, digits and dashes, naming file and field', () => {
    const message = loadError({ 'bad.yaml': chain('Bad_Name', 1) });
    assert.match(message, /<dir>\/bad\.yaml: name: use lowercase letters, digits and dashes/);
  });

  it('rejects an agent name with the index of the agent', () => {
    const message = loadError({ 'bad.yaml': chain('ok', 1, '  - name: Writer One\n    kind: simulated\n') });
    assert.match(message, /<dir>\/bad\.yaml: agents\.0\.name: use lowercase letters, digits and dashes/);
  });

  it('rejects two agents with the same name', () => {
    const agents = '  - name: twin\n    kind: simulated\n  - name: other\n    kind: simulated\n  - name: twin\n    kind: simulated\n';
    const message = loadError({ 'dup.yaml': chain('dup', 1, agents) });
    assert.match(message, /<dir>\/dup\.yaml: agents\.2\.name: "twin" is used by an earlier agent/);
  });

  it('rejects an unknown agent kind, listing the known ones', () => {
    const message = loadError({ 'kind.yaml': chain('kind', 1, '  - name: mind-reader\n    kind: telepathy\n') });
    assert.match(message, /<dir>\/kind\.yaml: agents\.0\.kind: unknown kind "telepathy" \(known: simulated, llm, http, input\)/);
  });

  it('checks `with` against the kind’s settings: a bad value, a missing field, an unknown key', () => {
    const agents = [
      '  - name: sim\n    kind: simulated\n    with: {text: hi, token_delay: soon}\n',
      '  - name: model\n    kind: llm\n    with: {model: gpt-4o-mini, response_format: xml}\n',
      '  - name: caller\n    kind: http\n    with: {url: "https://example.test", colour: blue}\n',
    ].join('');
    const message = loadError({ 'with.yaml': chain('with', 1, agents) });
    assert.match(message, /<dir>\/with\.yaml: agents\.0\.with\.token_delay: "soon" is not a duration/);
    assert.match(message, /<dir>\/with\.yaml: agents\.1\.with\.prompt: /);
    assert.match(message, /<dir>\/with\.yaml: agents\.1\.with\.response_format: /);
    assert.match(message, /<dir>\/with\.yaml: agents\.2\.with: Unrecognized key: "colour"/);
  });

  it('rejects a template that refers to a later agent, or to the agent itself', () => {
    const agents = [
      '  - name: first\n    kind: simulated\n    with: {text: "after {{agents.second.output}}"}\n',
      '  - name: second\n    kind: simulated\n    with: {text: "me {{agents.second.output}}"}\n',
    ].join('');
    const message = loadError({ 'order.yaml': chain('order', 1, agents) });
    assert.match(message, /<dir>\/order\.yaml: agents\.0\.with: \{\{agents\.second\.output\}\} refers to "second", which is not an earlier agent/);
    assert.match(message, /<dir>\/order\.yaml: agents\.1\.with: \{\{agents\.second\.output\}\} refers to "second", which is not an earlier agent/);
  });

  it('rejects templates it does not know and a chain output naming no agent', () => {
    const agents = [
      '  - name: first\n    kind: simulated\n    with: {text: "{{env.SECRET}}"}\n',
      '  - name: second\n    kind: simulated\n    with: {text: "{{agents.first}} {{agents.first.result}}"}\n',
    ].join('');
    const message = loadError({ 'refs.yaml': chain('refs', 1, agents) + 'output: "{{agents.ghost.output}}"\n' });
    assert.match(message, /<dir>\/refs\.yaml: agents\.0\.with: \{\{env\.SECRET\}\} is not a template this service knows; use \{\{input\.FIELD\}\} or \{\{agents\.NAME\.output\}\}/);
    assert.match(message, /agents\.1\.with: \{\{agents\.first\}\} is not a template this service knows/);
    assert.match(message, /agents\.1\.with: \{\{agents\.first\.result\}\} is not a template this service knows/);
    assert.match(message, /<dir>\/refs\.yaml: output: \{\{agents\.ghost\.output\}\} refers to "ghost"/);
  });

  it('refuses ${NAME} in an http agent for variables outside CHAINPORT_AGENT_*, naming chain, agent and field', () => {
    const agents = [
      '  - name: crm\n    kind: http\n',
      '    with: {url: "https://crm.example/co?key=${CHAINPORT_SECRET_KEY}", headers: {authorization: "Bearer ${OPENAI_API_KEY}", x-t: "${TEMPORAL_ADDRESS}"}}\n',
    ].join('');
    const message = loadError({ 'env.yaml': chain('env', 1, agents) });
    const refused = (field: string, name: string) =>
      new RegExp(`<dir>/env\\.yaml: agents\\.0\\.with\\.${field}: \\$\\{${name}\\} is not readable by chains; only variables named CHAINPORT_AGENT_\\* are .*\\(chain "env", agent "crm"\\)`);
    assert.match(message, refused('url', 'CHAINPORT_SECRET_KEY'));
    assert.match(message, refused('headers\\.authorization', 'OPENAI_API_KEY'));
    assert.match(message, refused('headers\\.x-t', 'TEMPORAL_ADDRESS'));
  });

  it('refuses a template in an http url’s scheme, credentials, host or port, and in header names', () => {
    const urls = [
      '{{input.url}}',
      'https://{{input.host}}/x',
      'https://crm.{{input.domain}}/x',
      'https://crm.example:{{input.port}}/x',
      'https://{{input.user}}@crm.example/x',
      '{{input.scheme}}://crm.example/x',
      '${CHAINPORT_AGENT_BASE}{{input.path}}',
    ];
    const agents = urls.map((url, i) => `  - name: a${i}\n    kind: http\n    with: {url: "${url}"}\n`).join('');
    const headerAgent = '  - name: h\n    kind: http\n    with: {url: "https://crm.example/", headers: {"x-{{input.name}}": "v"}}\n';
    const message = loadError({ 'host.yaml': chain('host', 1, agents + headerAgent) });
    urls.forEach((url, i) => {
      assert.match(message, new RegExp(`agents\\.${i}\\.with\\.url: a template \\{\\{…\\}\\} may not set the scheme, credentials, host or port.*\\(chain "host", agent "a${i}"\\)`), url);
    });
    assert.match(message, /agents\.7\.with\.headers: the header name "x-\{\{input\.name\}\}" may not contain a template \(chain "host", agent "h"\)/);
  });

  it('checks an input step: its settings, its schema, and a default that matches it when it goes on at its timeout', () => {
    const step = (w: string) => `  - name: ask\n    kind: input\n    with: ${w}\n`;
    const agents = [
      step('{schema: {type: boolean}}'),
      step('{prompt: "ok?", schema: {type: 12}}'),
      step('{prompt: "ok?", schema: {type: boolean}, on_timeout: continue}'),
      step('{prompt: "ok?", schema: {type: boolean}, on_timeout: continue, default: "yes"}'),
      step('{prompt: "ok?", schema: {type: boolean}, on_timeout: later, colour: blue}'),
    ]
      .map((text, i) => text.replace('name: ask', `name: ask-${i}`))
      .join('');
    const message = loadError({ 'input.yaml': chain('input', 1, agents) });
    assert.match(message, /agents\.0\.with\.prompt: /);
    assert.match(message, /agents\.1\.with\.schema: not a valid JSON Schema/);
    assert.match(message, /agents\.2\.with\.default: required with on_timeout: continue/);
    assert.match(message, /agents\.3\.with\.default: does not match the step's schema/);
    assert.match(message, /agents\.4\.with\.on_timeout: /);
    assert.match(message, /agents\.4\.with: Unrecognized key: "colour"/);
  });

  it('plans an input step with its defaults: 24 h to answer, then fail', () => {
    const agents = '  - name: ask\n    kind: input\n    with: {prompt: "ok?", schema: {type: boolean}}\n  - name: after\n    kind: simulated\n    with: {text: "{{agents.ask.output}}"}\n';
    const plan = load({ 'ok.yaml': chain('ok', 1, agents) }).catalog.resolve('ok')!.plan;
    assert.deepEqual(plan.agents[0]?.input, { prompt: 'ok?', schema: { type: 'boolean' }, timeoutMs: 24 * 3600 * 1000, onTimeout: 'fail' });
    assert.deepEqual(plan.agents[0]?.with, {});
    assert.equal(plan.agents[1]?.input, undefined);
  });

  it('plans execution: local agents as local, refuses it on an input step and any other value', () => {
    const plan = load({ 'ok.yaml': chain('ok', 1, '  - name: quick\n    kind: simulated\n    execution: local\n  - name: slow\n    kind: simulated\n') }).catalog.resolve('ok')!.plan;
    assert.deepEqual(plan.agents.map((a) => a.local), [true, undefined]);
    const message = loadError({
      'bad.yaml': chain('bad', 1, '  - name: ask\n    kind: input\n    execution: local\n    with: {prompt: "ok?", schema: {type: boolean}}\n  - name: odd\n    kind: simulated\n    execution: remote\n'),
    });
    assert.match(message, /agents\.1\.execution: /);
    const onInput = loadError({ 'input.yaml': chain('input', 1, '  - name: ask\n    kind: input\n    execution: local\n    with: {prompt: "ok?", schema: {type: boolean}}\n') });
    assert.match(onInput, /agents\.0\.execution: an input step is not an agent; it has no execution/);
  });

  it('rejects an input_schema that is not a valid JSON Schema', () => {
    const message = loadError({ 'schema.yaml': chain('schema', 1, undefined, 'input_schema: {type: nonsense}\n') });
    assert.match(message, /<dir>\/schema\.yaml: input_schema: not a valid JSON Schema/);
  });

  it('rejects the same name@version defined in two files, naming both', () => {
    const message = loadError({ 'a.yaml': chain('twice', 2), 'b.yml': chain('twice', 2) });
    assert.match(message, /<dir>\/b\.yml: twice@2 is also defined in <dir>\/a\.yaml/);
  });

  it('reports bad YAML, unknown top-level keys, bad durations and limits with their paths', () => {
    const message = loadError({
      'broken.yaml': 'name: [unclosed\n',
      'keys.yaml': chain('keys', 1, undefined, 'agnets: []\n'),
      'limits.yaml': chain('limits', 1, '  - name: x\n    kind: simulated\n    retry: {max_attempts: 0}\n', 'timeout: forever\n'),
      'empty.yaml': 'name: empty\nversion: 1\nagents: []\n',
    });
    assert.match(message, /<dir>\/broken\.yaml: not valid YAML/);
    assert.match(message, /<dir>\/keys\.yaml: \(root\): Unrecognized key: "agnets"/);
    assert.match(message, /<dir>\/limits\.yaml: timeout: "forever" is not a duration/);
    assert.match(message, /<dir>\/limits\.yaml: agents\.0\.retry\.max_attempts: /);
    assert.match(message, /<dir>\/empty\.yaml: agents: a chain needs at least one agent/);
  });

  it('refuses the whole folder when one file is bad', () => {
    const message = loadError({ 'good.yaml': chain('good', 1), 'bad.yaml': chain('bad', 0) });
    assert.match(message, /^Invalid chain files:\n {2}<dir>\/bad\.yaml: version: /);
    assert.doesNotMatch(message, /good\.yaml/);
  });

  it('names CHAINPORT_CHAINS_DIR when the folder cannot be read', () => {
    const missing = path.join(os.tmpdir(), 'chainport-no-such-folder', String(process.pid));
    assert.throws(() => loadFrom(missing), (err: unknown) => {
      assert.ok(err instanceof ChainFileError);
      assert.match(err.message, /Cannot read the chains folder .*chainport-no-such-folder.* \(CHAINPORT_CHAINS_DIR\)/);
      return true;
    });
  });
});

describe('loadChains: valid files', () => {
  it('fills in the defaults and turns durations into milliseconds', () => {
    const { catalog, dir } = load({ 'c.yaml': chain('defaults', 1), 'notes.md': 'not a chain: ignored' });
    const version = catalog.resolve('defaults');
    assert.ok(version);
    assert.equal(version.file, path.join(dir, 'c.yaml'));
    assert.equal(version.description, '');
    assert.equal(version.estimatedDurationMs, undefined);
    assert.deepEqual(version.inputSchema, { type: 'object' });
    assert.equal(version.unavailable, undefined);
    assert.deepEqual(version.plan, {
      chain: 'defaults',
      version: 1,
      timeoutMs: 600_000,
      maxCost: undefined,
      output: undefined,
      agents: [
        {
          name: 'only',
          kind: 'simulated',
          timeoutMs: 60_000,
          heartbeatTimeoutMs: 10_000,
          retry: { maxAttempts: 3, initialIntervalMs: 1_000, backoff: 2, maxIntervalMs: 30_000 },
          with: { text: 'hi' },
        },
      ],
    });
  });

  it('accepts templates after an http url’s host and CHAINPORT_AGENT_* variables, and has the workflow split url and headers', () => {
    const agents = [
      '  - name: crm\n    kind: http\n',
      '    with: {url: "https://${CHAINPORT_AGENT_CRM_HOST}/co/{{input.company}}?key=${CHAINPORT_AGENT_CRM_KEY}", headers: {authorization: "Bearer ${CHAINPORT_AGENT_CRM_TOKEN}"}}\n',
      '  - name: base\n    kind: http\n    with: {url: "${CHAINPORT_AGENT_BASE}/lookup/{{input.id}}#{{input.part}}"}\n',
    ].join('');
    const plan = load({ 'ok.yaml': chain('ok', 1, agents) }).catalog.resolve('ok')?.plan;
    assert.deepEqual(plan?.agents.map((a) => a.splitFields), [['url', 'headers'], ['url', 'headers']]);
  });

  it('loads the shipped chains', () => {
    const shipped = loadFrom(path.resolve(import.meta.dirname, '../../chains'));
    assert.ok(shipped.resolve('data-enrichment'));
    assert.ok(shipped.resolve('reviewed-post')?.plan.agents.some((agent) => agent.input), 'the demo chain with an approval step');
  });

  it('marks llm chains unavailable until an LLM endpoint is configured', () => {
    const files = { 'llm.yaml': chain('thinker', 1, '  - name: think\n    kind: llm\n    with: {model: gpt-4o-mini, prompt: "{{input.q}}"}\n') };
    assert.match(load(files).catalog.resolve('thinker')?.unavailable ?? '', /openai:gpt-4o-mini: provider openai is not configured; set OPENAI_API_KEY/);
    assert.equal(load(files, { OPENAI_BASE_URL: 'http://127.0.0.1:1/v1' }).catalog.resolve('thinker')?.unavailable, undefined);
  });

  it('marks an llm chain unavailable while any of its models\' providers is not configured', () => {
    const agent = '  - name: write\n    kind: llm\n    with: {model: "openai:gpt-4o-mini", fallbacks: ["anthropic:claude-sonnet-4-5", "openai-compatible:local/llama3.1"], prompt: hi}\n';
    const files = { 'llm.yaml': chain('writer', 1, agent) };
    const openaiOnly = { OPENAI_API_KEY: 'k' };
    assert.match(load(files, openaiOnly).catalog.resolve('writer')?.unavailable ?? '', /anthropic:claude-sonnet-4-5: provider anthropic is not configured/);
    assert.match(load(files, { ...openaiOnly, ANTHROPIC_API_KEY: 'k' }).catalog.resolve('writer')?.unavailable ?? '', /no OpenAI-compatible server "local"; add local=<base URL> to CHAINPORT_OPENAI_COMPATIBLE/);
    const all = { ...openaiOnly, ANTHROPIC_API_KEY: 'k', CHAINPORT_OPENAI_COMPATIBLE: 'local=http://127.0.0.1:11434/v1' };
    assert.equal(load(files, all).catalog.resolve('writer')?.unavailable, undefined);
  });

  it('refuses an llm agent whose model, fallback_on or output_schema cannot work', () => {
    const llm = (settings: string) => loadError({ 'llm.yaml': chain('bad-llm', 1, `  - name: write\n    kind: llm\n    with: {prompt: hi, ${settings}}\n`) });
    assert.match(llm('model: "openai-compatible:llama3.1"'), /agents\.0\.with\.model: "openai-compatible:llama3\.1" must read openai-compatible:<server>\/<model>/);
    assert.match(llm('model: "anthropic:"'), /agents\.0\.with\.model: "anthropic:" names no model/);
    assert.match(llm('model: gpt-4o, fallback_on: [bad_request]'), /agents\.0\.with\.fallback_on\.0/);
    assert.match(llm('model: gpt-4o, output_schema: {type: objekt}'), /agents\.0\.with\.output_schema: not a valid JSON Schema/);
  });

  it('loads every test fixture chain, with or without an LLM endpoint', () => {
    const without = loadFrom(FIXTURE_CHAINS);
    assert.ok(without.resolve('llm-echo')?.unavailable, 'llm chains are listed but unavailable');
    assert.equal(without.resolve('http-lookup')?.unavailable, undefined);
    assert.equal(without.resolve('chain-3')?.unavailable, undefined);
    const withLlm = loadFrom(FIXTURE_CHAINS, { OPENAI_BASE_URL: 'http://127.0.0.1:1/v1' });
    assert.equal(withLlm.resolve('llm-echo')?.unavailable, undefined);
  });
});

describe('ChainCatalog.resolve', () => {
  const { catalog } = load({
    'v1.yaml': chain('story', 1),
    'v3.yaml': chain('story', 3),
    'v2.yaml': chain('story', 2),
    'other.yaml': chain('another-chain', 1),
  });

  it('resolves a bare name to the highest version', () => {
    assert.equal(catalog.resolve('story')?.version, 3);
  });

  it('resolves name@version to that version', () => {
    assert.equal(catalog.resolve('story@2')?.version, 2);
    assert.equal(catalog.resolve('story@1')?.version, 1);
    assert.equal(catalog.resolve('another-chain@1')?.name, 'another-chain');
  });

  it('returns undefined for an unknown chain or version', () => {
    assert.equal(catalog.resolve('story@4'), undefined);
    assert.equal(catalog.resolve('no-such-chain'), undefined);
    assert.equal(catalog.resolve('no-such-chain@1'), undefined);
  });

  it('returns undefined for a malformed ref', () => {
    for (const ref of ['', 'Story', 'story@0', 'story@', 'story@v2', 'story@1.0', 'story@02', '@1', ' story', 'story@1@2', 'story/1']) {
      assert.equal(catalog.resolve(ref), undefined, JSON.stringify(ref));
    }
  });

  it('lists chains by name with versions highest first', () => {
    assert.deepEqual(
      catalog.chains().map(({ name, versions }) => [name, versions.map((v) => v.version)]),
      [
        ['another-chain', [1]],
        ['story', [3, 2, 1]],
      ],
    );
  });
});

describe('ChainVersion.validateInput', () => {
  const inputSchema = `input_schema:
  type: object
  required: [topic]
  additionalProperties: false
  properties:
    topic: {type: string, minLength: 1}
    tone: {type: string, enum: [neutral, playful], default: neutral}
    words: {type: integer, minimum: 10, default: 100}
`;
  const { catalog } = load({ 'in.yaml': chain('validated', 1, undefined, inputSchema) });
  const version = catalog.resolve('validated')!;

  it('accepts valid input and fills in schema defaults', () => {
    const input: Record<string, unknown> = { topic: 'otters' };
    assert.deepEqual(version.validateInput(input), []);
    assert.deepEqual(input, { topic: 'otters', tone: 'neutral', words: 100 });
  });

  it('keeps values the caller gave over defaults', () => {
    const input = { topic: 'otters', tone: 'playful', words: 20 };
    assert.deepEqual(version.validateInput(input), []);
    assert.deepEqual(input, { topic: 'otters', tone: 'playful', words: 20 });
  });

  it('reports every problem with a JSON Pointer to it', () => {
    const problems = version.validateInput({ topic: '', tone: 'grumpy', words: 5.5, extra: true });
    const byPath = new Map(problems.map((p) => [p.path, p.message]));
    assert.ok(byPath.has('/topic'), JSON.stringify(problems));
    assert.ok(byPath.has('/tone'));
    assert.ok(byPath.has('/words'));
    assert.ok(problems.some((p) => p.path === '/' && /additional properties/.test(p.message)));
  });

  it('points at a missing required field itself, and at the input when it is not an object', () => {
    assert.deepEqual(version.validateInput({}), [{ path: '/topic', message: 'is required' }]);
    assert.deepEqual(version.validateInput('otters'), [{ path: '/', message: 'must be object' }]);
  });
});
