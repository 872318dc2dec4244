import pino from 'pino';
import type { Config } from './config.js';

export type Logger = pino.Logger;

/** Structured JSON logs. Redaction is a backstop: code never logs keys or secrets on purpose. */
export function createLogger(config: Pick<Config, 'logLevel'>, name: string): Logger {
  return pino({
    name,
    level: config.logLevel,
    redact: { paths: ['*.authorization', '*.apiKey', '*.api_key', '*.secret', '*.key'], censor: '[redacted]' },
  });
}
