import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, type Config } from '../config.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/**
 * The single-machine key in the data folder: created exclusively (two processes starting together
 * both end up reading the one that won), and checked for length on every read.
 */
function keyFile(file: string): Buffer {
  mkdirSync(path.dirname(file), { recursive: true });
  try {
    writeFileSync(file, randomBytes(KEY_BYTES).toString('base64'), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  chmodSync(file, 0o600);
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== KEY_BYTES) {
    throw new ConfigError(`The key file ${file} does not hold base64 of ${KEY_BYTES} bytes. Restore it, or delete it to make a new one (webhook secrets sealed with the old key can then no longer be opened).`);
  }
  return key;
}

/**
 * Seals webhook secrets before they enter workflow input (history is visible to anyone with Temporal
 * UI access) and opens them in the delivery activity. AES-256-GCM; the key comes from
 * CHAINPORT_SECRET_KEY or, on a single machine, a key file in the data folder.
 */
export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  static fromConfig(config: Config): SecretBox {
    if (config.secretKey) {
      const key = Buffer.from(config.secretKey, 'base64');
      if (key.length !== KEY_BYTES) throw new ConfigError('CHAINPORT_SECRET_KEY must be base64 of exactly 32 bytes (e.g. `openssl rand -base64 32`).');
      return new SecretBox(key);
    }
    return new SecretBox(keyFile(path.join(config.dataDir, 'secret-key')));
  }

  /** A key for another purpose (e.g. signing stream tokens), derived so the sealing key itself is never reused. */
  deriveKey(purpose: string): Buffer {
    return createHmac('sha256', this.key).update(`chainport:${purpose}`).digest();
  }

  seal(plain: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `v1.${Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url')}`;
  }

  open(sealed: string): string {
    const raw = Buffer.from(sealed.replace(/^v1\./, ''), 'base64url');
    // A shorter tag would be accepted by GCM and make forgery far easier: require all 16 bytes.
    if (raw.length < IV_BYTES + TAG_BYTES) throw new Error('Sealed secret is too short to hold its IV and a full authentication tag.');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }
}
