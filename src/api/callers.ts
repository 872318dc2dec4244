import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, type Config } from '../config.js';
import { ensureError } from '../errors.js';

/** Caller ids go into visibility queries, so they are restricted to characters that need no quoting. */
const CALLER_ID = /^[A-Za-z0-9_.-]{1,64}$/;

export interface Caller {
  id: string;
  keySha256: Buffer;
  rateLimitPerMin: number;
  maxConcurrentRuns: number;
  /** Chain names this caller may use; `*` allows all. */
  chains: string[];
}

const callersFileSchema = z.object({
  callers: z.array(
    z
      .object({
        id: z.string().regex(CALLER_ID, 'use 1-64 letters, digits, dot, dash or underscore'),
        key_sha256: z.string().regex(/^[0-9a-f]{64}$/i, 'must be the hex SHA-256 of the key (64 hex digits)'),
        rate_limit_per_min: z.number().int().positive().optional(),
        max_concurrent_runs: z.number().int().positive().optional(),
        chains: z.array(z.string().min(1)).min(1).optional(),
      })
      .strict(),
  ),
});

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Callers from CHAINPORT_API_KEYS (`id:key,id:key`) and CHAINPORT_CALLERS_FILE; throws ConfigError on bad entries. */
export function loadCallers(config: Config): Caller[] {
  const defaults = { rateLimitPerMin: config.api.rateLimitPerMin, maxConcurrentRuns: config.api.maxConcurrentRuns, chains: ['*'] };
  const callers: Caller[] = [];
  for (const pair of (config.api.apiKeys ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const at = pair.indexOf(':');
    const id = pair.slice(0, at);
    const key = pair.slice(at + 1);
    if (at < 1 || !CALLER_ID.test(id) || key.length < 16) {
      throw new ConfigError(`CHAINPORT_API_KEYS: each entry must be caller_id:key with a key of at least 16 characters (entry for "${id || '?'}" is not).`);
    }
    callers.push({ id, keySha256: sha256(key), ...defaults });
  }
  if (config.api.callersFile) {
    let raw: unknown;
    try {
      raw = parseYaml(readFileSync(config.api.callersFile, 'utf8'));
    } catch (err) {
      throw new ConfigError(`CHAINPORT_CALLERS_FILE ${config.api.callersFile}: ${ensureError(err).message.split('\n')[0]}`);
    }
    const parsed = callersFileSchema.safeParse(raw);
    if (!parsed.success) {
      const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      throw new ConfigError(`CHAINPORT_CALLERS_FILE ${config.api.callersFile}: ${lines}`);
    }
    for (const c of parsed.data.callers) {
      callers.push({
        id: c.id,
        keySha256: Buffer.from(c.key_sha256, 'hex'),
        rateLimitPerMin: c.rate_limit_per_min ?? defaults.rateLimitPerMin,
        maxConcurrentRuns: c.max_concurrent_runs ?? defaults.maxConcurrentRuns,
        chains: c.chains ?? ['*'],
      });
    }
  }
  const ids = new Set<string>();
  const byKey = new Map<string, string>();
  for (const c of callers) {
    if (ids.has(c.id)) throw new ConfigError(`Caller "${c.id}" is configured twice.`);
    ids.add(c.id);
    // One key for two callers would authenticate as whichever comes first: a silent mix-up of limits and runs.
    const other = byKey.get(c.keySha256.toString('hex'));
    if (other !== undefined) throw new ConfigError(`Callers "${other}" and "${c.id}" have the same key; give each caller its own key.`);
    byKey.set(c.keySha256.toString('hex'), c.id);
  }
  return callers;
}

/** The callers in force. Replaced whole on reload, so a revoked key stops working with the next request. */
export class CallerRegistry {
  constructor(private current: readonly Caller[]) {}

  list(): readonly Caller[] {
    return this.current;
  }

  replace(callers: readonly Caller[]): void {
    this.current = callers;
  }
}

export const DEV_CALLER_ID = 'dev';

/**
 * With no caller configured the service never runs open: it uses a development key kept in the data
 * folder (created on first start, readable only by this user) for the caller `dev`.
 */
export function devCaller(config: Config): { caller: Caller; key: string; file: string; created: boolean } {
  const file = path.join(config.dataDir, 'dev-api-key');
  let created = false;
  if (!existsSync(file)) {
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(file, `cp_dev_${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
    created = true;
  }
  chmodSync(file, 0o600);
  const key = readFileSync(file, 'utf8').trim();
  return {
    caller: { id: DEV_CALLER_ID, keySha256: sha256(key), rateLimitPerMin: config.api.rateLimitPerMin, maxConcurrentRuns: config.api.maxConcurrentRuns, chains: ['*'] },
    key,
    file,
    created,
  };
}

/** Finds the caller whose key hashes to the presented one, comparing every candidate in constant time. */
export function findCaller(callers: readonly Caller[], presentedKey: string): Caller | undefined {
  const presented = sha256(presentedKey);
  let found: Caller | undefined;
  for (const caller of callers) {
    if (timingSafeEqual(caller.keySha256, presented) && found === undefined) found = caller;
  }
  return found;
}

export function mayUseChain(caller: Caller, chain: string): boolean {
  return caller.chains.includes('*') || caller.chains.includes(chain);
}
