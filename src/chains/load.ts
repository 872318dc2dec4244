import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import type { AgentKinds } from '../activities/agents/registry.js';
import type { AgentKind } from '../activities/agents/kind.js';
import type { Config } from '../config.js';
import { templatePaths } from '../workflows/template.js';
import type { InputStepPlan, RunPlan } from '../workflows/types.js';
import { ChainCatalog, type ChainVersion, type InputProblem } from './catalog.js';
import { INPUT_KIND, inputStepPlan } from './input-step.js';
import { chainFileSchema, type ChainFile } from './schema.js';
import { ensureError } from '../errors.js';

export class ChainFileError extends Error {
  override name = 'ChainFileError';
}

/**
 * Reads every `*.yaml`/`*.yml` file in the chains folder. Any bad file stops start-up with the file,
 * the path inside it and what is wrong, because serving a half-loaded catalog hides mistakes.
 */
export function loadChains(config: Config, kinds: AgentKinds): ChainCatalog {
  let files: string[];
  try {
    files = readdirSync(config.chainsDir).filter((f) => /\.ya?ml$/.test(f)).sort();
  } catch (err) {
    throw new ChainFileError(`Cannot read the chains folder ${config.chainsDir} (CHAINPORT_CHAINS_DIR): ${ensureError(err).message}`);
  }
  const ajv = new Ajv2020({ allErrors: true, strict: false, useDefaults: true });
  const versions: ChainVersion[] = [];
  const problems: string[] = [];
  for (const file of files) {
    const fullPath = path.join(config.chainsDir, file);
    try {
      versions.push(toChainVersion(parseChainFile(fullPath, kinds, ajv), fullPath, ajv, kinds, config));
    } catch (err) {
      problems.push(ensureError(err).message);
    }
  }
  const seen = new Map<string, string>();
  for (const v of versions) {
    const key = `${v.name}@${v.version}`;
    if (seen.has(key)) problems.push(`${v.file}: ${key} is also defined in ${seen.get(key)}`);
    seen.set(key, v.file);
  }
  if (problems.length > 0) throw new ChainFileError(`Invalid chain files:\n  ${problems.join('\n  ')}`);
  return new ChainCatalog(versions);
}

/** A chain file as parsed, with the plans of its input steps (by agent index), built while checking them. */
interface ParsedChain {
  chain: ChainFile;
  inputPlans: ReadonlyMap<number, InputStepPlan>;
}

/** Parses and validates one chain file; the error names the file and each bad path in it. */
function parseChainFile(file: string, kinds: AgentKinds, ajv: Ajv2020): ParsedChain {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ChainFileError(`${file}: not valid YAML: ${ensureError(err).message.split('\n')[0]}`);
  }
  const parsed = chainFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ChainFileError(parsed.error.issues.map((i) => `${file}: ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n  '));
  }
  const chain = parsed.data;
  const { problems, inputPlans } = checkAgents(chain, kinds, ajv);
  if (problems.length > 0) throw new ChainFileError(problems.map((p) => `${file}: ${p}`).join('\n  '));
  return { chain, inputPlans };
}

function checkAgents(chain: ChainFile, kinds: AgentKinds, ajv: Ajv2020): { problems: string[]; inputPlans: Map<number, InputStepPlan> } {
  const problems: string[] = [];
  const inputPlans = new Map<number, InputStepPlan>();
  const earlier = new Set<string>();
  chain.agents.forEach((agent, index) => {
    const at = `agents.${index}`;
    if (earlier.has(agent.name)) problems.push(`${at}.name: "${agent.name}" is used by an earlier agent`);
    const kind = kinds.get(agent.kind);
    if (agent.kind === INPUT_KIND) {
      if (agent.execution === 'local') problems.push(`${at}.execution: an input step is not an agent; it has no execution`);
      const step = inputStepPlan(agent.with, ajv);
      if ('problems' in step) problems.push(...step.problems.map((p) => `${[`${at}.with`, ...(p.field ? [p.field] : [])].join('.')}: ${p.message}`));
      else inputPlans.set(index, step.plan);
    } else if (!kind) problems.push(`${at}.kind: unknown kind "${agent.kind}" (known: ${[...kinds.keys(), INPUT_KIND].join(', ')})`);
    else {
      const settings = kind.with.safeParse(agent.with);
      // An issue about `with` itself (e.g. an unrecognized key) has an empty path: no trailing dot then.
      if (!settings.success) problems.push(...settings.error.issues.map((i) => `${[`${at}.with`, ...i.path].join('.')}: ${i.message}`));
      else {
        const who = `chain "${chain.name}", agent "${agent.name}"`;
        problems.push(...(kind.checkChainText?.(settings.data) ?? []).map((problem) => `${at}.with.${problem} (${who})`));
      }
    }
    problems.push(...checkTemplates(agent.with, earlier, `${at}.with`));
    earlier.add(agent.name);
  });
  if (chain.output !== undefined) problems.push(...checkTemplates(chain.output, earlier, 'output'));
  return { problems, inputPlans };
}

function checkTemplates(value: unknown, agentsBefore: Set<string>, at: string): string[] {
  return templatePaths(value).flatMap((ref) => {
    const [root, name, field] = ref.split('.');
    if (root === 'input') return [];
    if (root === 'agents' && name && agentsBefore.has(name) && field === 'output') return [];
    if (root === 'agents' && name && !agentsBefore.has(name)) return [`${at}: {{${ref}}} refers to "${name}", which is not an earlier agent`];
    return [`${at}: {{${ref}}} is not a template this service knows; use {{input.FIELD}} or {{agents.NAME.output}}`];
  });
}

function toChainVersion({ chain, inputPlans }: ParsedChain, file: string, ajv: Ajv2020, kinds: AgentKinds, config: Config): ChainVersion {
  let validate;
  try {
    validate = ajv.compile(chain.input_schema);
  } catch (err) {
    throw new ChainFileError(`${file}: input_schema: not a valid JSON Schema: ${ensureError(err).message}`);
  }
  const splitFieldsOf = (kind: string) => kinds.get(kind)?.splitFields;
  const plan: RunPlan = {
    chain: chain.name,
    version: chain.version,
    timeoutMs: chain.timeout,
    maxCost: chain.max_cost,
    output: chain.output,
    agents: chain.agents.map((agent, index) => ({
      name: agent.name,
      kind: agent.kind,
      timeoutMs: agent.timeout,
      heartbeatTimeoutMs: agent.heartbeat_timeout,
      retry: {
        maxAttempts: agent.retry.max_attempts,
        initialIntervalMs: agent.retry.initial_interval,
        backoff: agent.retry.backoff,
        maxIntervalMs: agent.retry.max_interval,
      },
      with: agent.kind === INPUT_KIND ? {} : agent.with,
      ...(agent.execution === 'local' && { local: true as const }),
      ...(inputPlans.has(index) && { input: inputPlans.get(index)! }),
      ...(splitFieldsOf(agent.kind) ? { splitFields: [...splitFieldsOf(agent.kind)!] } : {}),
    })),
  };
  const unavailable = chain.agents.map((a) => unavailableAgent(kinds.get(a.kind), a.with, config)).find((reason) => reason !== undefined);
  return {
    name: chain.name,
    version: chain.version,
    description: chain.description,
    file,
    estimatedDurationMs: chain.estimated_duration,
    inputSchema: chain.input_schema,
    validateInput: (input) => (validate(input) ? [] : (validate.errors ?? []).map(toInputProblem)),
    plan,
    unavailable,
  };
}

/** Why the agent cannot run here, as its kind sees it; its settings passed the kind's schema when the chain was checked. */
function unavailableAgent(kind: AgentKind | undefined, settings: unknown, config: Config): string | undefined {
  const parsed = kind?.with.safeParse(settings);
  return parsed?.success ? kind!.unavailable?.(config, parsed.data) : undefined;
}

/** An ajv error as a path into the input; a missing required property is reported at its own path. */
function toInputProblem(error: ErrorObject): InputProblem {
  const missing = error.keyword === 'required' ? (error.params as { missingProperty?: string }).missingProperty : undefined;
  const path = missing === undefined ? error.instancePath : `${error.instancePath}/${missing}`;
  return { path: path || '/', message: missing === undefined ? (error.message ?? 'is invalid') : 'is required' };
}
