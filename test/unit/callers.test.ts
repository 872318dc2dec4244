import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadCallers } from '../../src/api/callers.js';
import { resolveCallers } from '../../src/api/server.js';
import { ConfigError, loadConfig } from '../../src/config.js';

void describe('loadCallers', () => {
  void it('refuses two callers with the same key at start-up, naming both', () => {
    const config = loadConfig({ CHAINPORT_API_KEYS: 'alice:shared-key-0123456789,bob:other-key-0123456789,carol:shared-key-0123456789' });
    assert.throws(() => loadCallers(config), (err: unknown) => err instanceof ConfigError && /Callers "alice" and "carol" have the same key/.test(err.message));
  });
});

void describe('resolveCallers', () => {
  void it('refuses to fall back to a development key when CHAINPORT_REQUIRE_CALLERS is set and no caller is configured', () => {
    const config = loadConfig({ CHAINPORT_REQUIRE_CALLERS: 'true', CHAINPORT_DATA_DIR: '/nonexistent/never-written' });
    assert.throws(() => resolveCallers(config), (err: unknown) => err instanceof ConfigError && /CHAINPORT_REQUIRE_CALLERS=true: set CHAINPORT_API_KEYS/.test(err.message));
  });

  void it('starts with the configured callers when it is set', () => {
    const config = loadConfig({ CHAINPORT_REQUIRE_CALLERS: 'true', CHAINPORT_API_KEYS: 'alice:alice-key-0123456789' });
    assert.deepEqual(resolveCallers(config).callers.map((c) => c.id), ['alice']);
  });
});
