import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, type Config } from '../config.js';

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
      if (key.length !== 32) throw new ConfigError('CHAINPORT_SECRET_KEY must be base64 of exactly 32 bytes (e.g. `openssl rand -base64 32`).');
      return new SecretBox(key);
    }
    const file = path.join(config.dataDir, 'secret-key');
    if (!existsSync(file)) {
      mkdirSync(config.dataDir, { recursive: true });
      writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600 });
    }
    chmodSync(file, 0o600);
    return new SecretBox(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64'));
  }

  /** A key for another purpose (e.g. signing stream tokens), derived so the sealing key itself is never reused. */
  deriveKey(purpose: string): Buffer {
    return createHmac('sha256', this.key).update(`chainport:${purpose}`).digest();
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `v1.${Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url')}`;
  }

  open(sealed: string): string {
    const raw = Buffer.from(sealed.replace(/^v1\./, ''), 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}
