import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadCallers } from '../../src/api/callers.js';
import { ConfigError, loadConfig } from '../../src/config.js';

void describe('loadCallers', () => {
  void it('refuses two callers with the same key at start-up, naming both', () => {
    const config = loadConfig({ CHAINPORT_API_KEYS: 'alice:shared-key-0123456789,bob:other-key-0123456789,carol:shared-key-0123456789' });
    assert.throws(() => loadCallers(config), (err: unknown) => err instanceof ConfigError && /Callers "alice" and "carol" have the same key/.test(err.message));
  });
});
