import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { devServerArgs } from '../../src/temporal/dev-server.js';
import { SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes.js';

function dynamicConfig(args: string[]): Record<string, string> {
  const values: Record<string, string> = {};
  args.forEach((arg, i) => {
    if (arg !== '--dynamic-config-value') return;
    const [key, value] = args[i + 1]!.split('=');
    values[key!] = value!;
  });
  return values;
}

describe('the embedded dev server', () => {
  const args = devServerArgs({ binary: 'temporal', port: 7233, dbFile: '/tmp/chainport/temporal.db' });

  it('turns off the search-attribute refresh on every read, which the CLI turns on when not told', () => {
    // The CLI's default reads the namespace from SQLite on every start, describe and visibility write.
    assert.equal(dynamicConfig(args)['system.forceSearchAttributesCacheRefreshOnRead'], 'false');
  });

  it('registers every search attribute before it serves, so the cache is right without that refresh', () => {
    const registered = args.flatMap((arg, i) => (arg === '--search-attribute' ? [args[i + 1]!.split('=')[0]] : []));
    assert.deepEqual(registered.sort(), Object.keys(SEARCH_ATTRIBUTES).sort());
  });

  it('keeps a file database in WAL mode', () => {
    assert.ok(args.includes('--db-filename'));
    assert.ok(args.includes('journal_mode=wal'));
  });
});
