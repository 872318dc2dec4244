import proto from '@temporalio/proto';
import type { Connection } from '@temporalio/client';
import { isAlreadyExists } from './errors.js';
import { CallerIdKey, ChainNameKey, ChainVersionKey, DeliveryStatusKey, RerunOfKey, RunStatusKey } from '../workflows/definitions.js';

const IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;

export const SEARCH_ATTRIBUTES = {
  [ChainNameKey.name]: { cli: 'Keyword', indexed: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD },
  [ChainVersionKey.name]: { cli: 'Int', indexed: IndexedValueType.INDEXED_VALUE_TYPE_INT },
  [CallerIdKey.name]: { cli: 'Keyword', indexed: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD },
  [RunStatusKey.name]: { cli: 'Keyword', indexed: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD },
  [DeliveryStatusKey.name]: { cli: 'Keyword', indexed: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD },
  [RerunOfKey.name]: { cli: 'Keyword', indexed: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD },
} as const;

/** `--search-attribute` flags for `temporal server start-dev`. */
export function devServerSearchAttributeArgs(): string[] {
  return Object.entries(SEARCH_ATTRIBUTES).flatMap(([name, { cli }]) => ['--search-attribute', `${name}=${cli}`]);
}

/**
 * Registers any of our search attributes the namespace lacks, so an external cluster needs no manual
 * step. Idempotent; safe to run from every worker at start-up.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = { ...existing.customAttributes, ...existing.systemAttributes };
  const missing = Object.entries(SEARCH_ATTRIBUTES).filter(([name]) => !(name in known));
  if (missing.length === 0) return [];
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map(([name, { indexed }]) => [name, indexed])),
    });
  } catch (err) {
    // Another worker may have added them between our list and add.
    if (!isAlreadyExists(err)) throw err;
  }
  return missing.map(([name]) => name);
}
