import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { SecretBox } from '../../src/webhooks/secret-box.js';

describe('SecretBox', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'chainport-secret-box-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('makes one key file and every later box reads the same key', () => {
    const config = loadConfig({ CHAINPORT_DATA_DIR: path.join(dir, 'shared') });
    const sealed = SecretBox.fromConfig(config).seal('whsec_secret');
    assert.equal(SecretBox.fromConfig(config).open(sealed), 'whsec_secret');
  });

  it('refuses a key file of the wrong length with a ConfigError naming the file', () => {
    const data = path.join(dir, 'short');
    SecretBox.fromConfig(loadConfig({ CHAINPORT_DATA_DIR: data }));
    writeFileSync(path.join(data, 'secret-key'), Buffer.alloc(16).toString('base64'));
    assert.throws(() => SecretBox.fromConfig(loadConfig({ CHAINPORT_DATA_DIR: data })), (err: unknown) => err instanceof ConfigError && err.message.includes('secret-key'));
  });

  it('refuses a sealed secret whose authentication tag was cut short', () => {
    const box = SecretBox.fromConfig(loadConfig({ CHAINPORT_SECRET_KEY: Buffer.alloc(32, 1).toString('base64') }));
    // The genuine tag of an empty secret cut to its first 4 bytes: GCM checks only what it is given
    // unless the tag length is fixed, so this forged-length tag would open.
    const raw = Buffer.from(box.seal('').slice(3), 'base64url');
    assert.throws(() => box.open(`v1.${raw.subarray(0, 16).toString('base64url')}`));
    assert.equal(box.open(`v1.${raw.toString('base64url')}`), '');
  });
});
