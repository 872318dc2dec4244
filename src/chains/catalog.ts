import type { RunPlan } from '../workflows/types.js';

export interface InputProblem {
  /** JSON Pointer into the input, "/" for the input itself. */
  path: string;
  message: string;
}

/** One loaded chain version, ready to start runs of. */
export interface ChainVersion {
  name: string;
  version: number;
  description: string;
  file: string;
  estimatedDurationMs: number | undefined;
  inputSchema: Record<string, unknown>;
  validateInput(input: unknown): InputProblem[];
  plan: RunPlan;
  /** Why runs of this chain cannot start here (e.g. no LLM endpoint), or undefined. */
  unavailable: string | undefined;
}

const REF = /^([a-z0-9-]+)(?:@([1-9][0-9]*))?$/;

/** The loaded chains, by name and version. `name` resolves to the highest version. */
export class ChainCatalog {
  private readonly byName = new Map<string, ChainVersion[]>();

  constructor(versions: ChainVersion[]) {
    for (const v of versions) this.byName.set(v.name, [...(this.byName.get(v.name) ?? []), v]);
    for (const list of this.byName.values()) list.sort((a, b) => b.version - a.version);
  }

  /** Resolves `name` or `name@version`; undefined for an unknown chain, version or malformed ref. */
  resolve(ref: string): ChainVersion | undefined {
    const match = REF.exec(ref);
    if (!match) return undefined;
    const versions = this.byName.get(match[1]!);
    if (!versions) return undefined;
    return match[2] === undefined ? versions[0] : versions.find((v) => v.version === Number(match[2]));
  }

  /** Every chain name with its versions, highest first. */
  chains(): Array<{ name: string; versions: ChainVersion[] }> {
    return [...this.byName.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, versions]) => ({ name, versions }));
  }
}
